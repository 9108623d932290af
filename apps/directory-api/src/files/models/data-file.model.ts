import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { connectionOf } from '../../graphql/connection.js';
import type { Action as ActionName, Classification as ClassificationName } from '@app/access';
import { Classification } from '../../graphql/enums.js';

@ObjectType('DataField')
export class DataFieldModel {
  @Field() name!: string;
  @Field() type!: string;
  @Field() sensitive!: boolean;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field({
    description:
      "Whether the caller could obtain this field's values: it may EXCHANGE the file and the field is covered (the owner's own file, a grant of all fields, or a grant naming it).",
  })
  obtainable!: boolean;
}

@ObjectType('DataFile')
export class DataFileModel {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() title!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => Classification) classification!: ClassificationName;
  @Field() category!: string;
  @Field(() => [String]) tags!: string[];
  @Field() format!: string;
  @Field(() => String, { nullable: true }) updateFrequency!: string | null;
  @Field(() => Int, { description: 'the published records version; 0 before the first publication' }) version!: number;
  @Field() updatedAt!: Date;
  districtId!: string;
  ownerDepartmentId!: string;
  myAccess?: ActionName[];
}

export const DataFileConnectionModel = connectionOf(DataFileModel, 'DataFile', { totalCount: true });
