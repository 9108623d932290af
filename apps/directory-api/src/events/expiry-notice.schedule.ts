import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { EventsService } from '@app/events';

/** Background work of the service (not of tests, which announce on demand): grants about to expire are announced every minute. */
@Injectable()
export class ExpiryNoticeSchedule implements OnApplicationBootstrap {
  constructor(private readonly events: EventsService) {}

  onApplicationBootstrap(): void {
    this.events.scheduleExpiryNotices();
  }
}
