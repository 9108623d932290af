import DataLoader from 'dataloader';
import { unauthenticated } from '@app/common';
import type { AccessPolicy, AccessService } from '@app/access';
import type { TokenClaims } from '@app/auth';
import type { DataFieldRow, DataFileRow, DepartmentRow, DirectoryService, DistrictRow } from '@app/directory';

export interface ScopeServices {
  directory: DirectoryService;
  access: AccessService;
}

/**
 * Everything one GraphQL request shares: the caller's policy, built once, and
 * the batching loaders that keep nested fields to one query per level.
 */
export class RequestScope {
  private policy?: Promise<AccessPolicy>;

  constructor(
    private readonly services: ScopeServices,
    readonly claims: TokenClaims,
  ) {}

  caller(): Promise<AccessPolicy> {
    this.policy ??= this.buildPolicy();
    return this.policy;
  }

  private async buildPolicy(): Promise<AccessPolicy> {
    const department = await this.services.directory.departmentByCode(this.claims.departmentCode);
    if (!department) throw unauthenticated(`the token's department "${this.claims.departmentCode}" is not known here`);
    return this.services.access.policyFor({ subject: this.claims.subject, roles: this.claims.roles, department });
  }

  readonly districts = new DataLoader<string, DistrictRow | undefined>((ids) => this.services.directory.districtsByIds(ids));
  readonly departments = new DataLoader<string, DepartmentRow | undefined>((ids) => this.services.directory.departmentsByIds(ids));
  readonly files = new DataLoader<string, DataFileRow | undefined>(async (ids) => {
    const byId = new Map((await this.services.directory.filesByIds(ids)).map((f) => [f.id, f]));
    return ids.map((id) => byId.get(id));
  });
  readonly visibleFields = new DataLoader<DataFileRow, DataFieldRow[], string>(
    async (files) => this.services.directory.visibleFields(await this.caller(), files),
    { cacheKeyFn: (f) => f.id },
  );
}

export interface GraphQLContext {
  scope: RequestScope;
  /** Set by the auth guard before any resolver runs. */
  caller?: AccessPolicy;
}
