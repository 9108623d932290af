import { Args, Context, Info, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { OperationTypeNode, type GraphQLResolveInfo } from 'graphql';
import type { AccessPolicy } from '@app/access';
import { AuditService } from '@app/audit';
import { ExchangeService, type ExchangeRow } from '@app/exchange';
import { Caller } from '../context/auth.guard.js';
import type { GraphQLContext } from '../context/request-scope.js';
import { DepartmentModel } from '../districts/district.model.js';
import { DataFileModel } from '../files/models/data-file.model.js';
import { toConnection, type Connection } from '../graphql/connection.js';
import {
  ApproveArgs,
  AuditReceiptModel,
  DeliveryModel,
  ExchangeConnectionModel,
  ExchangeIdArgs,
  ExchangeModel,
  ExchangesArgs,
  PublishRecordsArgs,
  RejectArgs,
  RequestExchangeInput,
} from './exchange.models.js';

@Resolver(() => ExchangeModel)
export class ExchangesResolver {
  constructor(
    private readonly workflow: ExchangeService,
    private readonly audit: AuditService,
  ) {}

  @Query(() => ExchangeConnectionModel, { description: 'outgoing requests of your department; incoming ones too for its stewards' })
  async exchanges(@Caller() caller: AccessPolicy, @Args() args: ExchangesArgs): Promise<Connection<ExchangeRow>> {
    const page = await this.workflow.list(caller, args.status ?? null, args.first ?? 50, args.after ?? null);
    return toConnection(page, page.totalCount);
  }

  @Query(() => ExchangeModel, { nullable: true })
  exchange(@Caller() caller: AccessPolicy, @Args() { id }: ExchangeIdArgs) {
    return this.workflow.byId(caller, id);
  }

  @Mutation(() => DataFileModel, { description: "a steward publishes the file's records (rows keyed by field name); bumps version" })
  publishRecords(@Caller() caller: AccessPolicy, @Args() { fileId, records }: PublishRecordsArgs) {
    return this.workflow.publishRecords(caller, fileId, records);
  }

  @Mutation(() => ExchangeModel)
  requestExchange(@Caller() caller: AccessPolicy, @Args('input') input: RequestExchangeInput) {
    return this.workflow.request(caller, input);
  }

  @Mutation(() => ExchangeModel)
  approveExchange(@Caller() caller: AccessPolicy, @Args() { id, note }: ApproveArgs) {
    return this.workflow.approve(caller, id, note ?? null);
  }

  @Mutation(() => ExchangeModel)
  rejectExchange(@Caller() caller: AccessPolicy, @Args() { id, reason }: RejectArgs) {
    return this.workflow.reject(caller, id, reason);
  }

  @Mutation(() => DeliveryModel)
  deliverExchange(@Caller() caller: AccessPolicy, @Args() { id }: ExchangeIdArgs) {
    return this.workflow.deliver(caller, id);
  }

  /**
   * The parties know which file an exchange is of (fileId, owner), but only a
   * caller who may discover it now reads the file itself: a requester whose
   * grant ended must not follow its versions, title or schema from here.
   */
  @ResolveField(() => DataFileModel, {
    nullable: true,
    description: 'the file as it is now, for a caller who may discover it now; null for a party that may no longer (fileId still names it)',
  })
  file(@Parent() x: ExchangeRow, @Context() ctx: GraphQLContext) {
    return ctx.scope.discoverableFile({ districtId: x.districtId, id: x.fileId });
  }

  @ResolveField(() => DepartmentModel, { description: "the department that owns the exchange's file and decides it" })
  owner(@Parent() x: ExchangeRow, @Context() ctx: GraphQLContext) {
    return ctx.scope.departments.load(x.ownerDepartmentId);
  }

  @ResolveField(() => [String], {
    description:
      "for an approved exchange not yet delivered: the approved fields that the grant it rests on holds for a steward's review after a change of the file's schema (a delivery now would leave them out)",
  })
  async fieldsAwaitingReview(@Parent() x: ExchangeRow, @Context() ctx: GraphQLContext): Promise<string[]> {
    if (x.status !== 'APPROVED' || !x.permissionId) return [];
    const held = new Set(
      // The grant an exchange rests on is of the exchange's district.
      (await ctx.scope.heldForReview.load({ districtId: x.districtId, id: x.permissionId }))
        .filter((h) => h.fileId === x.fileId)
        .flatMap((h) => h.fields),
    );
    return x.fields.filter((f) => held.has(f));
  }

  @ResolveField(() => Boolean, { description: 'whether fieldsAwaitingReview names any field' })
  async needsReview(@Parent() x: ExchangeRow, @Context() ctx: GraphQLContext): Promise<boolean> {
    return (await this.fieldsAwaitingReview(x, ctx)).length > 0;
  }

  @ResolveField(() => DepartmentModel)
  requester(@Parent() x: ExchangeRow, @Context() ctx: GraphQLContext) {
    return ctx.scope.departments.load(x.requesterDepartmentId);
  }

  @ResolveField(() => AuditReceiptModel, { nullable: true, description: "the receipt of the exchange's latest audit entry" })
  async receipt(@Parent() x: ExchangeRow, @Info() info: GraphQLResolveInfo) {
    const entry = await this.audit.latestAbout(x.districtCode, 'Exchange', x.id);
    // A mutation that just recorded a step returns a receipt that verifies at once; a read never signs.
    return entry ? this.audit.receiptFor(entry, { signIfUncovered: info.operation.operation === OperationTypeNode.MUTATION }) : null;
  }
}
