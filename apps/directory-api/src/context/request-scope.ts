import DataLoader from 'dataloader';
import type { AccessPolicy, AccessService, HeldFields } from '@app/access';
import type { DataFieldRow, DataFileRow, DepartmentRow, DirectoryService, DistrictRow } from '@app/directory';

export interface ScopeServices {
  directory: DirectoryService;
  access: AccessService;
}

/**
 * Everything one GraphQL request shares: the caller's policy, decided before
 * GraphQL ran (see graphql-auth.hook.ts), and the batching loaders that keep
 * nested fields to one query per level.
 */
export class RequestScope {
  constructor(
    private readonly services: ScopeServices,
    private readonly policy: AccessPolicy,
  ) {}

  readonly districts = new DataLoader<string, DistrictRow | undefined>((ids) => this.services.directory.districtsByIds(ids));
  readonly departments = new DataLoader<string, DepartmentRow | undefined>((ids) => this.services.directory.departmentsByIds(ids));
  readonly files = new DataLoader<string, DataFileRow | undefined>(async (ids) => {
    const byId = new Map((await this.services.directory.filesByIds(ids)).map((f) => [f.id, f]));
    return ids.map((id) => byId.get(id));
  });
  /** What each grant holds for review now, per file (empty when nothing). */
  readonly heldForReview = new DataLoader<string, readonly HeldFields[]>(async (ids) => {
    const held = await this.services.access.heldForReview(ids);
    return ids.map((id) => held.get(id) ?? []);
  });
  /** Schemas a listing already read with its page, by file id: the fields of its files cost no further query. */
  private readonly schemas = new Map<string, DataFieldRow[]>();

  readonly visibleFields = new DataLoader<DataFileRow, DataFieldRow[], string>(
    (files) => this.services.directory.visibleFields(this.policy, files, this.schemas),
    {
      cacheKeyFn: (f) => f.id,
    },
  );

  knowSchemas(schemas: ReadonlyMap<string, DataFieldRow[]>): void {
    for (const [id, fields] of schemas) this.schemas.set(id, fields);
  }
}

export interface GraphQLContext {
  scope: RequestScope;
  /** Decided before GraphQL runs (graphql-auth.hook.ts). */
  caller: AccessPolicy;
}
