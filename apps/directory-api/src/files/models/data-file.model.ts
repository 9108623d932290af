import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { Action as ActionName, Classification as ClassificationName } from '@app/access';
import { Classification } from '../../graphql/enums.js';

@ObjectType('DataField')
export class DataFieldModel {
  @Field() name!: string;
  @Field() type!: string;
  @Field() sensitive!: boolean;
  @Field(() => String, { nullable: true }) description!: string | null;
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

@ObjectType('PageInfo')
export class PageInfoModel {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType('DataFileEdge')
export class DataFileEdgeModel {
  @Field() cursor!: string;
  @Field(() => DataFileModel) node!: DataFileModel;
}

@ObjectType('DataFileConnection')
export class DataFileConnectionModel {
  @Field(() => [DataFileEdgeModel]) edges!: DataFileEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
  @Field(() => Int) totalCount!: number;
}
