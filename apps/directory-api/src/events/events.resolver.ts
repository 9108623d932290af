import { Args, Query, Resolver } from '@nestjs/graphql';
import type { AccessPolicy } from '@app/access';
import { EventsService } from '@app/events';
import { Caller } from '../context/auth.guard.js';
import { toConnection } from '../graphql/connection.js';
import { EventsArgs, FeedEventConnectionModel, FeedEventModel } from './feed-event.model.js';

@Resolver(() => FeedEventModel)
export class EventsResolver {
  constructor(private readonly feed: EventsService) {}

  @Query(() => FeedEventConnectionModel, {
    description:
      "the change feed's pull form: your department's events after a cursor (new versions, revoked grants, exchange steps), oldest first within each ledger; endCursor is where to poll from next",
  })
  async events(@Caller() caller: AccessPolicy, @Args() { after, first }: EventsArgs) {
    return toConnection(await this.feed.page(caller, after ?? null, first ?? 50));
  }
}
