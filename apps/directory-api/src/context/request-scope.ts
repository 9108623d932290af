import DataLoader from 'dataloader';
import type { AccessPolicy, AccessService, HeldFields, PermissionKey } from '@app/access';
import { districtsOf } from '@app/common';
import {
  fileKeyString,
  type DataFieldRow,
  type DataFileRow,
  type DepartmentRow,
  type DirectoryService,
  type DistrictRow,
  type FileKey,
} from '@app/directory';

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
  /** Files by their full key (a grant's or an exchange's file): read in their districts alone. */
  readonly files = new DataLoader<FileKey, DataFileRow | undefined, string>(
    async (keys) => {
      const found = await this.services.directory.filesByIds(
        districtsOf(keys),
        keys.map((k) => k.id),
      );
      const byKey = new Map(found.map((f) => [fileKeyString(f), f]));
      return keys.map((k) => byKey.get(fileKeyString(k)));
    },
    { cacheKeyFn: fileKeyString },
  );
  /** A file by its full key as the caller sees it: null unless the caller may discover it now (a grant's or an exchange's file). */
  async discoverableFile(key: FileKey): Promise<DataFileRow | null> {
    const file = await this.files.load(key);
    return file && this.policy.can('DISCOVER', file) ? file : null;
  }

  /** What each grant (by its full key) holds for review now, per file (empty when nothing). */
  readonly heldForReview = new DataLoader<PermissionKey, readonly HeldFields[], string>(
    async (keys) => {
      const held = await this.services.access.heldForReview(keys);
      return keys.map((k) => held.get(k.id) ?? []);
    },
    { cacheKeyFn: (k) => `${k.districtId}/${k.id}` },
  );
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
