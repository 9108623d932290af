import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import type { Classification as ClassificationName } from '@app/access';
import type { FieldAlterationInput, RegisterFileInput as FileRegistration, SchemaChangeInput } from '@app/directory';
import { Classification } from '../../graphql/enums.js';

@InputType('FileFilter')
export class FileFilterInput {
  @Field(() => String, { nullable: true, description: 'full-text search over title, description, tags and field names' })
  search?: string | null;
  @Field(() => [String], { nullable: true }) districtCodes?: string[] | null;
  @Field(() => [String], { nullable: true }) ownerDepartmentCodes?: string[] | null;
  @Field(() => [Classification], { nullable: true }) classifications?: ClassificationName[] | null;
  @Field(() => [String], { nullable: true }) categories?: string[] | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
}

@ArgsType()
export class FilesArgs {
  @Field(() => FileFilterInput, { nullable: true }) filter?: FileFilterInput | null;
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'page size, 1 to 200' }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@InputType('DataFieldInput')
export class DataFieldInput {
  @Field() name!: string;
  @Field() type!: string;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) sensitive?: boolean | null;
  @Field(() => String, { nullable: true }) description?: string | null;
}

/** The GraphQL shape of the service's RegisterFileInput, held to it by the compiler. */
@InputType('RegisterFileInput')
export class RegisterFileInput implements FileRegistration {
  @Field() code!: string;
  @Field() title!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Classification) classification!: ClassificationName;
  @Field() category!: string;
  @Field(() => [String], { nullable: true, defaultValue: [] }) tags?: string[] | null;
  @Field() format!: string;
  @Field(() => String, { nullable: true }) updateFrequency?: string | null;
  @Field(() => [DataFieldInput]) fields!: DataFieldInput[];
}

@ArgsType()
export class FileIdArgs {
  @Field(() => ID) id!: string;
}

/** The GraphQL shape of the service's FieldAlterationInput: what is left out stays as it is. */
@InputType('AlterFieldInput')
export class AlterFieldInput implements FieldAlterationInput {
  @Field({ description: 'an existing field of the file' }) name!: string;
  @Field(() => String, { nullable: true, description: 'a new type: string, integer, number, boolean, date or datetime' }) type?:
    string | null;
  @Field(() => Boolean, { nullable: true, description: 'true marks the field sensitive, false no longer' }) sensitive?: boolean | null;
  @Field(() => String, { nullable: true, description: 'a new description; null clears it' }) description?: string | null;
}

@InputType('ChangeFileSchemaInput')
export class ChangeFileSchemaInput implements SchemaChangeInput {
  @Field(() => ID) fileId!: string;
  @Field(() => [DataFieldInput], { nullable: true, description: 'fields to add, after the last' }) addFields?: DataFieldInput[] | null;
  @Field(() => [AlterFieldInput], { nullable: true, description: 'fields to alter' }) alterFields?: AlterFieldInput[] | null;
  @Field(() => String, { nullable: true, description: 'why: told to the grant holders with the change, and audited' }) note?: string | null;
}
