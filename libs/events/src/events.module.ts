import { Module } from '@nestjs/common';
import { AuditFeedListener } from './audit-feed.listener.js';
import { EventsService } from './events.service.js';
import { ExpiryNotices } from './expiry-notices.js';
import { FeedCandidates } from './feed-candidates.js';

/**
 * The change feed. Needs the DataSource and the access, audit and directory
 * services from the application's domain module.
 */
@Module({
  providers: [FeedCandidates, AuditFeedListener, ExpiryNotices, EventsService],
  exports: [EventsService],
})
export class EventsModule {}
