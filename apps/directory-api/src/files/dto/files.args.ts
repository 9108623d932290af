import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import type { Classification as ClassificationName } from '@app/access';
import type { RegisterFileInput as FileRegistration } from '@app/directory';
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
