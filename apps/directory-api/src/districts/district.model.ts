import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('District')
export class DistrictModel {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field({ description: 'municipal, district or county' }) level!: string;
  @Field() onboardedAt!: Date;
}

@ObjectType('Department')
export class DepartmentModel {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  districtId!: string;
}
