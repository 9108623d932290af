import { Logger } from '@nestjs/common';
import { Args, Context, Resolver, Subscription } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { unauthenticated } from '@app/common';
import { EventsService, type FeedEvent, type FeedStream } from '@app/events';
import { formatError } from '../graphql/error-formatter.js';
import { FeedEventModel, SubscribeArgs } from './feed-event.model.js';
import type { SubscriptionContext } from './subscription-auth.js';

/** A failure inside a stream leaves as a coded error, never with a stack or SQL (as the error formatter does for requests). */
function coded(error: unknown, logger: Logger): GraphQLError {
  const formatted = formatError(
    new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined }),
  );
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR')
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return new GraphQLError(formatted.message, { extensions: formatted.extensions });
}

/** Subscriptions one department may hold open on one replica; each costs a decision per batch of new entries. */
export const MAX_SUBSCRIPTIONS_PER_DEPARTMENT = 100;

/** Longest delay a Node timer takes (about 24 days); a token outliving it is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The service's stream as a subscription sees it: failures as coded errors,
 * and an end, with UNAUTHENTICATED, when the connection's token expires.
 */
function guarded(
  events: AsyncIterableIterator<FeedEvent>,
  logger: Logger,
  expiresAt: number,
  onEnd: () => void,
): AsyncIterableIterator<FeedEvent> {
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const end = () => {
    clearTimeout(timer);
    if (!ended) onEnd();
    ended = true;
  };
  const expired = new Promise<never>((_, reject) => {
    const wait = () => {
      const left = expiresAt - Date.now();
      if (left > 0) timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS)).unref();
      else reject(coded(unauthenticated('your token expired; connect again with a fresh one'), logger));
    };
    wait();
  });
  expired.catch(() => undefined); // observed through next(); never an unhandled rejection
  return {
    next: () =>
      Promise.race([events.next().catch((error: unknown) => Promise.reject(coded(error, logger))), expired]).then(
        (result) => {
          if (result.done) end();
          return result;
        },
        async (error: unknown) => {
          end();
          await events.return?.(undefined);
          throw error;
        },
      ),
    return: (value?: unknown) => {
      end();
      return events.return?.(value) ?? Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

@Resolver()
export class FeedSubscriptionsResolver {
  private readonly logger = new Logger('FeedSubscriptions');
  /** Open subscriptions per department on this replica. */
  private readonly open = new Map<string, number>();

  constructor(private readonly feed: EventsService) {}

  private stream(context: SubscriptionContext, stream: FeedStream, after: string | null | undefined) {
    // Only a connection whose init carried a valid token has a subscriber (subscription-auth.ts).
    try {
      if (!context.subscriber) throw unauthenticated('subscribe over graphql-ws with { authorization: "Bearer <jwt>" } in connection_init');
      const department = context.subscriber.department.id;
      const held = this.open.get(department) ?? 0;
      if (held >= MAX_SUBSCRIPTIONS_PER_DEPARTMENT) {
        throw new GraphQLError(
          `your department holds ${MAX_SUBSCRIPTIONS_PER_DEPARTMENT} subscriptions on this server, the most it may; close one first`,
          {
            extensions: { code: 'RATE_LIMITED' },
          },
        );
      }
      const events = this.feed.subscribe(context.subscriber, stream, after ?? null);
      this.open.set(department, held + 1);
      const release = () => {
        const left = (this.open.get(department) ?? 1) - 1;
        if (left > 0) this.open.set(department, left);
        else this.open.delete(department);
      };
      return guarded(events, this.logger, context.subscriberExpiresAt ?? 0, release);
    } catch (error) {
      throw coded(error, this.logger);
    }
  }

  @Subscription(() => FeedEventModel, {
    description:
      'new versions, schema changes, revoked and expiring grants of the files your department owns or holds a READ or EXCHANGE grant on',
    resolve: (event: FeedEvent) => event,
  })
  fileEvents(@Context() context: SubscriptionContext, @Args() { after }: SubscribeArgs) {
    return this.stream(context, 'file', after);
  }

  @Subscription(() => FeedEventModel, {
    description: 'each step of the exchanges your department requested or owns the file of',
    resolve: (event: FeedEvent) => event,
  })
  exchangeEvents(@Context() context: SubscriptionContext, @Args() { after }: SubscribeArgs) {
    return this.stream(context, 'exchange', after);
  }
}
