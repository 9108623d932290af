import { Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { MAX_ENTRIES_SCANNED } from '@app/events';
import { checkQueryCost, type ListSizes } from '../graphql/query-cost.js';
import type { FairShare } from '../http/fair-share.js';
import type { SubscriptionContext } from './subscription-auth.js';

/**
 * What starting a subscription with `after` costs beyond its selection: it
 * first replays the log from the cursor, a round of at most
 * MAX_ENTRIES_SCANNED audit entries at a time, read and decided as the pull
 * form's page is; priced as one round (one entry, one unit).
 */
export const SUBSCRIPTION_REPLAY_COST = MAX_ENTRIES_SCANNED;

/** A subscription's context once priced: what each of its events costs. */
type PricedContext = SubscriptionContext & { eventCost?: number };

/** Whether a root field of the subscription is given `after` (a literal or a variable): then it starts by replaying. */
function replays(document: DocumentNode): boolean {
  return document.definitions.some(
    (d) =>
      d.kind === Kind.OPERATION_DEFINITION &&
      d.selectionSet.selections.some(
        (s) => s.kind === Kind.FIELD && (s.arguments ?? []).some((a) => a.name.value === 'after' && a.value.kind !== Kind.NULL),
      ),
  );
}

/**
 * Subscriptions spend from the same per-department budget of query cost as
 * queries and mutations over HTTP (fair-share.ts): over graphql-ws nothing
 * else would stop a department from opening and closing subscriptions in a
 * loop, each replaying the log. Mercurius runs these hooks:
 * - start (preSubscriptionExecution): the subscription's estimated cost (its
 *   selection, as a query's is priced, plus SUBSCRIPTION_REPLAY_COST when it
 *   resumes from a cursor; the variables are not known to the hook, so an
 *   `after` given at all is priced) is spent before it starts, or it is
 *   refused with RATE_LIMITED and retryAfterSeconds, as a query would be;
 * - each event (onSubscriptionResolution): its selection's cost is spent too,
 *   so a department's subscriptions and queries share one budget. An event is
 *   never withheld for the budget (the client did not ask for it at that
 *   moment, and a dropped event would be lost): it is charged even past the
 *   budget, which the department's next query or start then finds spent.
 * How many subscriptions a department holds open at once is bounded apart
 * (MAX_SUBSCRIPTIONS_PER_DEPARTMENT).
 */
export function subscriptionCharges(fairShare: FairShare, maxCost: number) {
  return {
    start: async (schema: GraphQLSchema, document: DocumentNode, context: unknown, listSizes: ListSizes): Promise<void> => {
      const priced = context as PricedContext;
      const department = priced.subscriber?.department.id;
      if (!department) return; // refused as UNAUTHENTICATED by the resolver
      const eventCost = checkQueryCost(schema, document, undefined, listSizes, maxCost);
      await fairShare.spend(department, eventCost + (replays(document) ? SUBSCRIPTION_REPLAY_COST : 0));
      priced.eventCost = eventCost;
    },
    event: async (_execution: unknown, context: unknown): Promise<void> => {
      const { subscriber, eventCost } = context as PricedContext;
      if (subscriber && eventCost) await fairShare.charge(subscriber.department.id, eventCost);
    },
  };
}
