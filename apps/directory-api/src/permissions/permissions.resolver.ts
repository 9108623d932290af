import { Args, Context, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { grantInForce, impliedActions, GrantService, type AccessPolicy, type GrantRow } from '@app/access';
import { Caller } from '../context/auth.guard.js';
import type { GraphQLContext } from '../context/request-scope.js';
import { DepartmentModel } from '../districts/district.model.js';
import { DataFileModel } from '../files/models/data-file.model.js';
import { Action } from '../graphql/enums.js';
import { toConnection, type Connection } from '../graphql/connection.js';
import {
  AccessCountsArgs,
  AccessCountsModel,
  AccessExplanationModel,
  FileAudienceArgs,
  FileAudienceConnectionModel,
  ExplainAccessArgs,
  GrantPermissionInput,
  GrantScopePermissionInput,
  PermissionConnectionModel,
  PermissionModel,
  PermissionsArgs,
  ReapprovePermissionArgs,
  RevokePermissionArgs,
} from './permission.models.js';

@Resolver(() => PermissionModel)
export class PermissionsResolver {
  constructor(private readonly grants: GrantService) {}

  @Query(() => PermissionConnectionModel, {
    description:
      'the grants you may see, newest first, paged; totalCount counts every match. asOf: the grants that were active at that instant, from the grant history',
  })
  async permissions(@Caller() caller: AccessPolicy, @Args() { first, after, ...filter }: PermissionsArgs): Promise<Connection<GrantRow>> {
    const page = await this.grants.list(caller, filter, first ?? 50, after ?? null);
    return toConnection(page, page.totalCount);
  }

  @Query(() => FileAudienceConnectionModel, {
    description:
      "every department whose members may take the action on the file, by a default rule or a grant, with the reasons; by department code, paged, counted. For the owner's side, administrators who may grant on it, auditors",
  })
  async fileAudience(@Caller() caller: AccessPolicy, @Args() { fileId, action, asOf, first, after }: FileAudienceArgs) {
    const page = await this.grants.audience(caller, fileId, action, first ?? 50, after ?? null, asOf ?? null);
    return toConnection(page, page.totalCount);
  }

  @Query(() => AccessCountsModel, {
    description:
      "how many files a department's members may discover, read and exchange: the mirror of fileAudience. Another department's counts take only the files the caller may discover itself",
  })
  accessCounts(@Caller() caller: AccessPolicy, @Args() { departmentCode, asOf }: AccessCountsArgs) {
    return this.grants.accessCounts(caller, departmentCode, asOf ?? null);
  }

  @Query(() => AccessExplanationModel)
  explainAccess(@Caller() caller: AccessPolicy, @Args() { fileId, departmentCode }: ExplainAccessArgs) {
    return this.grants.explain(caller, fileId, departmentCode);
  }

  @Mutation(() => PermissionModel, { description: 'grants, or extends the identical active grant when the new expiry is later' })
  async grantPermission(@Caller() caller: AccessPolicy, @Args('input') input: GrantPermissionInput) {
    return (await this.grants.grant(caller, input)).permission;
  }

  @Mutation(() => PermissionModel, {
    description: 'district and platform administrators grant a category of a district up to a classification',
  })
  async grantScopePermission(@Caller() caller: AccessPolicy, @Args('input') input: GrantScopePermissionInput) {
    return (await this.grants.grantScope(caller, input)).permission;
  }

  @Mutation(() => PermissionModel)
  revokePermission(@Caller() caller: AccessPolicy, @Args() { id, reason }: RevokePermissionArgs) {
    return this.grants.revoke(caller, id, reason);
  }

  @Mutation(() => PermissionModel, {
    description:
      "a steward of the owning department (or an administrator who may grant on the file) re-approves a grant that a schema change held for review: its held fields flow again, and it is decided on the file's current versions",
  })
  reapprovePermission(@Caller() caller: AccessPolicy, @Args() { id, fileId, note }: ReapprovePermissionArgs) {
    return this.grants.reapprove(caller, id, fileId ?? null, note ?? null);
  }

  @ResolveField(() => [String], {
    description:
      "fields whose values the grant holds until a steward re-approves it, because the file's schema changed since it was decided (for a scope grant: on any file it covers)",
  })
  async fieldsAwaitingReview(@Parent() p: GrantRow, @Context() ctx: GraphQLContext): Promise<string[]> {
    const held = await ctx.scope.heldForReview.load(p);
    return [...new Set(held.flatMap((h) => h.fields))].sort();
  }

  @ResolveField(() => Boolean, { description: 'whether a schema change holds some of its fields for a steward to re-approve' })
  async needsReview(@Parent() p: GrantRow, @Context() ctx: GraphQLContext): Promise<boolean> {
    return (await ctx.scope.heldForReview.load(p)).length > 0;
  }

  @ResolveField(() => DataFileModel, { nullable: true, description: 'null for a scope grant, or a file the caller may not discover' })
  file(@Parent() p: GrantRow, @Context() ctx: GraphQLContext) {
    return p.fileId ? ctx.scope.discoverableFile({ districtId: p.districtId, id: p.fileId }) : null;
  }

  @ResolveField(() => DepartmentModel)
  grantee(@Parent() p: GrantRow, @Context() ctx: GraphQLContext) {
    return ctx.scope.departments.load(p.granteeDepartmentId);
  }

  @ResolveField(() => [Action])
  actions(@Parent() p: GrantRow) {
    return impliedActions(p.action);
  }

  @ResolveField(() => Boolean, { description: 'in force now: started, not expired, not revoked' })
  active(@Parent() p: GrantRow): boolean {
    return grantInForce(p, new Date());
  }
}
