import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { BigIntScalar, JsonScalar } from '../graphql/scalars.js';
import { connectionOf } from '../graphql/connection.js';

@ObjectType('AuditEntry')
export class AuditEntryModel {
  @Field() ledger!: string;
  @Field(() => BigIntScalar) seq!: number;
  /** Resolved as a DateTime by AuditEntryFieldsResolver. */
  occurredAt!: string;
  @Field() actor!: string;
  @Field() action!: string;
  @Field() subjectType!: string;
  @Field() subjectId!: string;
  @Field(() => [String], { description: 'the departments the entry concerns' }) parties!: string[];
  @Field(() => JsonScalar) payload!: unknown;
  @Field() prevHash!: string;
  @Field() hash!: string;
}

export const AuditEntryConnectionModel = connectionOf(AuditEntryModel, 'AuditEntry', { totalCount: false });

@ObjectType('Checkpoint')
export class CheckpointModel {
  @Field() ledger!: string;
  @Field(() => BigIntScalar) size!: number;
  @Field() rootHash!: string;
  /** Resolved as a DateTime by CheckpointFieldsResolver. */
  signedAt!: string;
  @Field() signature!: string;
  @Field() keyId!: string;
}

@ObjectType('CheckpointBundle', { description: "every ledger's latest signed checkpoint and the platform's, which anchors them all" })
export class CheckpointBundleModel {
  @Field(() => CheckpointModel, {
    nullable: true,
    description: 'the city-wide root: the platform ledger anchors every district checkpoint',
  })
  platform!: CheckpointModel | null;
  @Field(() => [CheckpointModel]) ledgers!: CheckpointModel[];
  @Field(() => JsonScalar, {
    description: 'the whole bundle as one JSON value: keep it, and check later that the log extends it (audit:consistency, audit:witness)',
  })
  document!: unknown;
}

@ObjectType('AuditReceipt')
export class AuditReceiptModel {
  @Field() ledger!: string;
  @Field(() => BigIntScalar) seq!: number;
  @Field() entryHash!: string;
  @Field(() => AuditEntryModel, { nullable: true, description: 'the entry itself, so that its hash can be recomputed offline' })
  entry!: AuditEntryModel | null;
  @Field(() => CheckpointModel, { nullable: true }) checkpoint!: CheckpointModel | null;
  @Field(() => [String], { description: "Merkle inclusion proof of the entry in the checkpoint's tree" }) proof!: string[];
}

@ObjectType('ConsistencyProof')
export class ConsistencyProofModel {
  @Field() ledger!: string;
  @Field(() => BigIntScalar) fromSize!: number;
  @Field(() => BigIntScalar) toSize!: number;
  @Field() fromRoot!: string;
  @Field() toRoot!: string;
  @Field(() => [String], { description: 'RFC 6962 consistency proof that the tree of toSize extends the tree of fromSize' })
  proof!: string[];
}

@ObjectType('ChainVerification')
export class ChainVerificationModel {
  @Field() ledger!: string;
  @Field() ok!: boolean;
  @Field(() => BigIntScalar) checked!: number;
  @Field(() => BigIntScalar, { nullable: true, description: 'first entry whose hash or link does not verify' }) firstBadSeq!: number | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => Int, { description: 'signed checkpoints compared with the entries' }) checkpointsChecked!: number;
}

@ObjectType('AuditPublicKey')
export class AuditPublicKeyModel {
  @Field() keyId!: string;
  @Field({ description: 'SPKI PEM; give it to audit:check-receipt --public-key' }) publicKeyPem!: string;
}

@ArgsType()
export class AuditLogArgs {
  @Field() ledger!: string;
  @Field(() => BigIntScalar, { nullable: true }) afterSeq?: bigint | null;
  @Field(() => Int, { nullable: true, defaultValue: 100, description: '1 to 500' }) first?: number | null;
}

@ArgsType()
export class LedgerArgs {
  @Field() ledger!: string;
}

@ArgsType()
export class ReceiptArgs {
  @Field() ledger!: string;
  @Field(() => BigIntScalar) seq!: bigint;
}

@ArgsType()
export class ConsistencyArgs {
  @Field() ledger!: string;
  @Field(() => BigIntScalar) fromSize!: bigint;
  @Field(() => BigIntScalar) toSize!: bigint;
}
