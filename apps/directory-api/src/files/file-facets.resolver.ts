import { Args, ArgsType, Field, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import type { AccessPolicy } from '@app/access';
import { DirectoryService, type FileFacetCounts } from '@app/directory';
import { Caller } from '../context/auth.guard.js';
import { FileFilterInput } from './dto/files.args.js';

@ObjectType('FacetCount')
export class FacetCountModel {
  @Field() value!: string;
  @Field(() => String, { nullable: true, description: 'the display name, where value is a code' }) label!: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType('FileFacets', { description: 'how many discoverable files each value holds, most first (at most 50 per facet)' })
export class FileFacetsModel implements FileFacetCounts {
  @Field(() => [FacetCountModel]) districts!: FacetCountModel[];
  @Field(() => [FacetCountModel]) owners!: FacetCountModel[];
  @Field(() => [FacetCountModel]) classifications!: FacetCountModel[];
  @Field(() => [FacetCountModel]) categories!: FacetCountModel[];
  @Field(() => [FacetCountModel]) tags!: FacetCountModel[];
}

@ArgsType()
class FileFacetsArgs {
  @Field(() => FileFilterInput, { nullable: true }) filter?: FileFilterInput | null;
}

@Resolver()
export class FileFacetsResolver {
  constructor(private readonly directory: DirectoryService) {}

  @Query(() => FileFacetsModel, {
    description: 'facet counts for the directory under a filter; each facet counts as if its own filter were not set',
  })
  fileFacets(@Caller() caller: AccessPolicy, @Args() { filter }: FileFacetsArgs): Promise<FileFacetCounts> {
    return this.directory.fileFacets(caller, filter ?? {});
  }
}
