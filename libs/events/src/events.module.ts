import { Module } from '@nestjs/common';
import { AccessModule } from '@app/access';
import { AuditLogModule } from '@app/audit';
import { ExchangeModule } from '@app/exchange';
import { AuditFeedListener } from './audit-feed.listener.js';
import { EventsService } from './events.service.js';
import { ExpiryNotices } from './expiry-notices.js';
import { FeedCandidates } from './feed-candidates.js';

/**
 * The change feed. Needs the DataSource, and the audit log's and the
 * directory's services, which are global (one each per process).
 */
@Module({
  imports: [AuditLogModule, AccessModule, ExchangeModule],
  providers: [FeedCandidates, AuditFeedListener, ExpiryNotices, EventsService],
  exports: [EventsService],
})
export class EventsModule {}
