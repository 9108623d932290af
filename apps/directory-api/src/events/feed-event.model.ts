import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { EXCHANGE_EVENT_KINDS, FILE_EVENT_KINDS, MAX_EVENTS_PAGE, type FeedEventKind } from '@app/events';
import { connectionOf } from '../graphql/connection.js';
import { BigIntScalar } from '../graphql/scalars.js';

export const FeedEventKindEnum = Object.fromEntries([...FILE_EVENT_KINDS, ...EXCHANGE_EVENT_KINDS].map((k) => [k, k])) as {
  [K in FeedEventKind]: K;
};
registerEnumType(FeedEventKindEnum, { name: 'FeedEventKind' });

@ObjectType('FeedEvent', { description: 'one audit entry, as an event addressed to the caller' })
export class FeedEventModel {
  @Field(() => FeedEventKindEnum) kind!: FeedEventKind;
  @Field({ description: 'the audit ledger of the entry the event comes from' }) ledger!: string;
  @Field(() => BigIntScalar, { description: "the entry's seq in its ledger" }) seq!: number;
  @Field() occurredAt!: Date;
  @Field({ description: 'resume after this event (events(after:), fileEvents(after:), exchangeEvents(after:)); opaque' }) cursor!: string;
  @Field(() => ID, { nullable: true }) fileId!: string | null;
  @Field(() => ID, { nullable: true }) exchangeId!: string | null;
  @Field(() => ID, { nullable: true, description: 'the grant revoked or expiring, or the grant an approval rests on' }) permissionId!:
    string | null;
  @Field(() => Int, { nullable: true, description: 'the version published' }) version!: number | null;
  @Field(() => Int, { nullable: true, description: 'the schema version a schema change made' }) schemaVersion!: number | null;
  @Field({ description: 'who did it, as the audit entry names them' }) actor!: string;
  @Field(() => String, { nullable: true, description: 'the reason or note given' }) note!: string | null;
}

export const FeedEventConnectionModel = connectionOf(FeedEventModel, 'FeedEvent', { totalCount: false });

@ArgsType()
export class EventsArgs {
  @Field(() => String, { nullable: true, description: 'a cursor from an earlier event or endCursor; without it, from the beginning' })
  after?: string | null;
  @Field(() => Int, { nullable: true, defaultValue: 50, description: `1 to ${MAX_EVENTS_PAGE}` }) first?: number;
}

@ArgsType()
export class SubscribeArgs {
  @Field(() => String, {
    nullable: true,
    description: 'first what happened after this cursor, then live events; without it, live events from now',
  })
  after?: string | null;
}
