import { Args, Context, Info, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { AccessPolicy } from '@app/access';
import { DirectoryService, FileSchemaService, type DataFileRow } from '@app/directory';
import { Caller } from '../context/auth.guard.js';
import type { GraphQLContext } from '../context/request-scope.js';
import { toConnection, type Connection } from '../graphql/connection.js';
import { selects, selectsPath } from '../graphql/selection.js';
import { ChangeFileSchemaInput, FileIdArgs, FilesArgs, RegisterFileInput } from './dto/files.args.js';
import { DataFileConnectionModel, DataFileModel, SchemaChangeModel } from './models/data-file.model.js';

@Resolver(() => DataFileModel)
export class FilesResolver {
  constructor(
    private readonly directory: DirectoryService,
    private readonly schemas: FileSchemaService,
  ) {}

  @Query(() => DataFileConnectionModel)
  async files(
    @Caller() caller: AccessPolicy,
    @Args() args: FilesArgs,
    @Info() info: GraphQLResolveInfo,
    @Context() ctx: GraphQLContext,
  ): Promise<Connection<DataFileRow>> {
    const page = await this.directory.listFiles(
      caller,
      args.filter ?? {},
      args.first ?? 50,
      args.after ?? null,
      selects(info, 'totalCount'),
      selectsPath(info, ['edges', 'node', 'fields']),
    );
    ctx.scope.knowSchemas(page.schemas);
    return toConnection(page, page.totalCount);
  }

  @Query(() => DataFileModel, { nullable: true, description: 'null when the file does not exist or the caller may not discover it' })
  file(@Caller() caller: AccessPolicy, @Args() { id }: FileIdArgs) {
    return this.directory.getFile(caller, id);
  }

  @Mutation(() => DataFileModel, { description: 'a steward registers a file owned by its own department' })
  registerFile(@Caller() caller: AccessPolicy, @Args('input') input: RegisterFileInput) {
    return this.directory.registerFile(caller, input);
  }

  @Mutation(() => SchemaChangeModel, {
    description:
      "a steward of the owning department changes the file's schema: adds fields, changes a type, marks a field sensitive (or not), rewords a description; grants whose fields it touched hold them for review",
  })
  async changeFileSchema(@Caller() caller: AccessPolicy, @Args('input') input: ChangeFileSchemaInput) {
    const outcome = await this.schemas.change(caller, input);
    const text = (v: string | boolean | null) => (v === null ? null : String(v));
    return { ...outcome, changes: outcome.changes.map((c) => ({ ...c, from: text(c.from), to: text(c.to) })) };
  }
}
