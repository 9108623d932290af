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
  const formatted = formatError(new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined }));
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return new GraphQLError(formatted.message, { extensions: formatted.extensions });
}

function guarded(events: AsyncIterableIterator<FeedEvent>, logger: Logger): AsyncIterableIterator<FeedEvent> {
  return {
    next: () => events.next().catch((error: unknown) => Promise.reject(coded(error, logger))),
    return: (value?: unknown) => events.return?.(value) ?? Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

@Resolver()
export class FeedSubscriptionsResolver {
  private readonly logger = new Logger('FeedSubscriptions');

  constructor(private readonly feed: EventsService) {}

  private stream(context: SubscriptionContext, stream: FeedStream, after: string | null | undefined) {
    // Only a connection whose init carried a valid token has a subscriber (subscription-auth.ts).
    try {
      if (!context.subscriber) throw unauthenticated('subscribe over graphql-ws with { authorization: "Bearer <jwt>" } in connection_init');
      return guarded(this.feed.subscribe(context.subscriber, stream, after ?? null), this.logger);
    } catch (error) {
      throw coded(error, this.logger);
    }
  }

  @Subscription(() => FeedEventModel, {
    description: 'new versions, schema changes, revoked and expiring grants of the files your department owns or holds a READ or EXCHANGE grant on',
    resolve: (event: FeedEvent) => event,
  })
  fileEvents(@Context() context: SubscriptionContext, @Args() { after }: SubscribeArgs) {
    return this.stream(context, 'file', after);
  }

  @Subscription(() => FeedEventModel, {
    description: "each step of the exchanges your department requested or owns the file of",
    resolve: (event: FeedEvent) => event,
  })
  exchangeEvents(@Context() context: SubscriptionContext, @Args() { after }: SubscribeArgs) {
    return this.stream(context, 'exchange', after);
  }
}
