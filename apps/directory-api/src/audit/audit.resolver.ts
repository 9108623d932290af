import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DateTimeScalar } from '../graphql/scalars.js';
import type { AccessPolicy } from '@app/access';
import { AuditKeys, AuditService, bundleDocument, keyIdOf, receiptDocument, type AuditEntryData } from '@app/audit';
import { badInput } from '@app/common';
import { toConnection, type Connection } from '../graphql/connection.js';
import { JsonScalar } from '../graphql/scalars.js';
import { Caller } from '../context/auth.guard.js';
import {
  AuditEntryConnectionModel,
  AuditEntryModel,
  AuditLogArgs,
  AuditPublicKeyModel,
  AuditReceiptModel,
  ChainVerificationModel,
  CheckpointBundleModel,
  CheckpointModel,
  ConsistencyArgs,
  ConsistencyProofModel,
  LedgerArgs,
  ReceiptArgs,
} from './audit.models.js';

/** Ledger positions arrive as 64-bit integers; past 2^53 they cannot exist in practice. */
const position = (value: bigint, name: string): number => {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw badInput(`${name} is out of range`);
  return Number(value);
};

@Resolver()
export class AuditResolver {
  constructor(
    private readonly audit: AuditService,
    private readonly keys: AuditKeys,
  ) {}

  @Query(() => AuditEntryConnectionModel)
  async auditLog(@Caller() caller: AccessPolicy, @Args() args: AuditLogArgs): Promise<Connection<AuditEntryData>> {
    return toConnection(await this.audit.log(caller, args.ledger, position(args.afterSeq ?? 0n, 'afterSeq'), args.first ?? 100));
  }

  @Query(() => ChainVerificationModel)
  verifyAuditChain(@Caller() caller: AccessPolicy, @Args() { ledger }: LedgerArgs) {
    return this.audit.verify(caller, ledger);
  }

  @Query(() => CheckpointModel, { nullable: true })
  latestCheckpoint(@Args() { ledger }: LedgerArgs) {
    return this.audit.latestCheckpoint(ledger);
  }

  @Query(() => AuditReceiptModel, { nullable: true })
  auditReceipt(@Caller() caller: AccessPolicy, @Args() { ledger, seq }: ReceiptArgs) {
    return this.audit.receipt(caller, ledger, position(seq, 'seq'));
  }

  @Query(() => ConsistencyProofModel)
  auditConsistency(@Args() { ledger, fromSize, toSize }: ConsistencyArgs) {
    return this.audit.consistency(ledger, position(fromSize, 'fromSize'), position(toSize, 'toSize'));
  }

  @Query(() => CheckpointBundleModel, { description: "every ledger's latest signed checkpoint and the platform's" })
  async auditCheckpointBundle(): Promise<CheckpointBundleModel> {
    const bundle = await this.audit.bundle();
    return { ...bundle, document: bundleDocument(bundle) };
  }

  @Query(() => [AuditPublicKeyModel], { description: 'the keys that sign checkpoints, the current one first' })
  auditPublicKeys(): AuditPublicKeyModel[] {
    return this.keys.trustedPublicKeys.map((key) => ({
      keyId: keyIdOf(key),
      publicKeyPem: key.export({ format: 'pem', type: 'spki' }).toString(),
    }));
  }

  @Mutation(() => CheckpointModel, { description: 'auditors sign a checkpoint of a ledger now' })
  signCheckpoint(@Caller() caller: AccessPolicy, @Args() { ledger }: LedgerArgs) {
    return this.audit.signCheckpoint(caller, ledger);
  }
}

/** Entry and checkpoint times travel as ISO strings (they are hashed and signed as such) and are served as DateTime. */
@Resolver(() => AuditEntryModel)
export class AuditEntryFieldsResolver {
  @ResolveField(() => DateTimeScalar)
  occurredAt(@Parent() entry: AuditEntryModel): Date {
    return new Date(entry.occurredAt);
  }
}

@Resolver(() => CheckpointModel)
export class CheckpointFieldsResolver {
  @ResolveField(() => DateTimeScalar)
  signedAt(@Parent() checkpoint: CheckpointModel): Date {
    return new Date(checkpoint.signedAt);
  }
}

@Resolver(() => AuditReceiptModel)
export class AuditReceiptFieldsResolver {
  @ResolveField(() => JsonScalar, {
    description:
      'the whole receipt as one JSON value (entry, checkpoint, proof): keep this; it verifies offline with audit:check-receipt whatever else is selected',
  })
  document(@Parent() receipt: AuditReceiptModel): unknown {
    return receiptDocument(receipt);
  }
}

/** Every resolver of the audit API, for the application module. */
export const AUDIT_RESOLVERS = [AuditResolver, AuditEntryFieldsResolver, CheckpointFieldsResolver, AuditReceiptFieldsResolver];
