import { ArgsType, Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { ExchangeStatus as StatusName } from '@app/exchange';
import { AuditReceiptModel } from '../audit/audit.models.js';
import { connectionOf } from '../graphql/connection.js';
import { ExchangeStatus } from '../graphql/enums.js';
import { DateTimeScalar, JsonScalar } from '../graphql/scalars.js';

@ObjectType('Exchange')
export class ExchangeModel {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: "the exchange's file, which its parties know even when they may no longer discover it" }) fileId!: string;
  @Field(() => [String]) fields!: string[];
  @Field() purpose!: string;
  @Field(() => ExchangeStatus) status!: StatusName;
  @Field() requestedAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) decidedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'the steward, or grant:<id> for an automatic approval' }) decidedBy!: string | null;
  @Field(() => String, { nullable: true, description: 'the approval note or the rejection reason' }) decisionNote!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'the records version that was delivered' }) deliveredVersion!: number | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of exactly what was delivered' }) contentHash!: string | null;
  @Field(() => ID, { nullable: true, description: 'the EXCHANGE grant behind the approval' }) permissionId!: string | null;
  @Field(() => Int, { nullable: true, description: "the file's published version when the exchange was approved" })
  fileVersion!: number | null;
  @Field(() => Int, { nullable: true, description: "the file's schema version when the exchange was approved" })
  schemaVersion!: number | null;
  @Field(() => [String], {
    nullable: true,
    description: "approved fields the delivery left out: the grant holds them for a steward's review after a schema change",
  })
  withheldFields!: string[] | null;
}

export const ExchangeConnectionModel = connectionOf(ExchangeModel, 'Exchange', { totalCount: true });

@ObjectType('Delivery')
export class DeliveryModel {
  @Field(() => ExchangeModel) exchange!: ExchangeModel;
  @Field(() => [JsonScalar]) records!: Record<string, unknown>[];
  @Field() contentHash!: string;
  @Field(() => [String], {
    description: "approved fields left out of these records: the grant holds them for a steward's review after a schema change",
  })
  withheldFields!: string[];
}

@InputType('RequestExchangeInput')
export class RequestExchangeInput {
  @Field(() => ID) fileId!: string;
  @Field(() => [String]) fields!: string[];
  @Field() purpose!: string;
}

@ArgsType()
export class ExchangesArgs {
  @Field(() => ExchangeStatus, { nullable: true }) status?: StatusName | null;
  @Field(() => Int, { nullable: true, defaultValue: 50 }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
export class ApproveArgs {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@ArgsType()
export class RejectArgs {
  @Field(() => ID) id!: string;
  @Field() reason!: string;
}

@ArgsType()
export class ExchangeIdArgs {
  @Field(() => ID) id!: string;
}

@ArgsType()
export class PublishRecordsArgs {
  @Field(() => ID) fileId!: string;
  @Field(() => [JsonScalar], { description: `rows keyed by field name; at most 10,000 rows and 5 MiB per call` }) records!: unknown[];
}

export { AuditReceiptModel };
