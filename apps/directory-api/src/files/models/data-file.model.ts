import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { connectionOf } from '../../graphql/connection.js';
import type { Action as ActionName, Classification as ClassificationName } from '@app/access';
import { Action, Classification } from '../../graphql/enums.js';
import { DepartmentModel, DistrictModel } from '../../districts/district.model.js';

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
  @Field(() => Int, { description: "the version of the file's field set: 1 at registration, one more with each schema change" })
  schemaVersion!: number;
  @Field() updatedAt!: Date;
  // Resolved per file by plain resolvers (files/data-file.resolvers.ts), not by the row.
  @Field(() => DistrictModel) district?: DistrictModel;
  @Field(() => DepartmentModel) owner?: DepartmentModel;
  @Field(() => [DataFieldModel], {
    description:
      "The file's field catalogue: every field (name, type, sensitive flag) to a caller that may READ the file, none otherwise; `obtainable` says which values it could receive.",
  })
  fields?: DataFieldModel[];
  @Field(() => [Action], { description: 'What the caller may do with this file right now.' })
  myAccess?: ActionName[];
  districtId!: string;
  ownerDepartmentId!: string;
}

export const DataFileConnectionModel = connectionOf(DataFileModel, 'DataFile', { totalCount: true });

@ObjectType('FieldChange', { description: 'one change of a field in a schema change, as the audit entry records it' })
export class FieldChangeModel {
  @Field() field!: string;
  @Field({ description: 'added, type, sensitive or description' }) change!: string;
  @Field(() => String, { nullable: true, description: 'before (null for an added field)' }) from!: string | null;
  @Field(() => String, { nullable: true, description: 'after' }) to!: string | null;
}

@ObjectType('SchemaChange')
export class SchemaChangeModel {
  @Field(() => DataFileModel) file!: DataFileModel;
  @Field(() => Int, { description: 'the schema version this change made' }) schemaVersion!: number;
  @Field(() => [FieldChangeModel]) changes!: FieldChangeModel[];
  @Field(() => Int, { description: "grants that now hold fields for a steward's review (re-approve them with reapprovePermission)" })
  grantsHeld!: number;
}
