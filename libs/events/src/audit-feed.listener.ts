import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import DataLoader from 'dataloader';
import { AccessService, type GrantFacts } from '@app/access';
import { AuditService } from '@app/audit';
import { FeedCandidates } from './feed-candidates.js';
import { FEED_ACTION_NAMES, type Candidate } from './feed-event.js';
import type { Inbox } from './inbox.js';

/** How often the ledgers' heads are read while someone subscribes: the feed's latency at most. */
export const POLL_INTERVAL_MS = 100;

/** Entries afterSeq+1..upTo of one ledger as read once by this process, the feed's among them as candidates. */
export interface LedgerBatch {
  ledger: string;
  afterSeq: number;
  upTo: number;
  candidates: Candidate[];
  /** When the batch was read: its subscribers decide with the grants held then. */
  at: Date;
  /** Those grants by department, loaded once for all subscribers of the batch (one query per tick, not one per subscriber). */
  grants: DataLoader<string, GrantFacts[]>;
}

/**
 * One per process: every POLL_INTERVAL_MS it reads the head of each ledger
 * (one index probe a ledger), reads the entries committed since it last
 * looked once, and hands them to every subscriber of this process. Replicas
 * each poll for themselves, so N replicas need no broker.
 *
 * Polling, not LISTEN: a notification from every audited write made
 * PostgreSQL commit the service's writes one at a time (migration
 * AuditFeedPollsHeads), and polling cannot miss what a lost connection would
 * have been told. A ledger's entries become visible in seq order (its append
 * takes the ledger's lock), so reading up to a head never skips one.
 *
 * Started by the first subscriber, so that a process nobody subscribes to
 * does not poll.
 */
@Injectable()
export class AuditFeedListener implements OnApplicationShutdown {
  private readonly logger = new Logger('AuditFeedListener');
  private readonly inboxes = new Set<Inbox<LedgerBatch>>();
  /** The last seq this process has read of each ledger. */
  private readonly read = new Map<string, number>();
  private started: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly audit: AuditService,
    private readonly candidates: FeedCandidates,
    private readonly access: AccessService,
  ) {}

  /** Registers a subscriber's inbox; resolves once every entry committed from now on will reach it. */
  async attach(inbox: Inbox<LedgerBatch>): Promise<void> {
    this.inboxes.add(inbox);
    this.started ??= this.start();
    await this.started;
  }

  detach(inbox: Inbox<LedgerBatch>): void {
    this.inboxes.delete(inbox);
  }

  private async start(): Promise<void> {
    // What has been committed so far is the subscribers' to read from the log; this process reads on from here.
    for (const { ledger, size } of await this.audit.ledgerSizes()) this.read.set(ledger, size);
    this.schedule();
  }

  /** The next sweep starts a tick after the last one ended: a slow read never piles sweeps up. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweep()
        .catch((error: Error) => this.logger.error(`reading new audit entries failed: ${error.message}`))
        .finally(() => this.schedule());
    }, POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Compares every ledger's head with what this process has read, and
   * publishes what is new; with no subscriber left it only moves on, so that
   * the next one to attach is not handed the backlog of the time between.
   */
  private async sweep(): Promise<void> {
    for (const { ledger, size } of await this.audit.ledgerSizes()) await this.publish(ledger, this.read.get(ledger) ?? 0, size);
  }

  private async publish(ledger: string, afterSeq: number, upTo: number): Promise<void> {
    if (upTo <= afterSeq) return;
    if (this.inboxes.size === 0) {
      this.read.set(ledger, upTo);
      return;
    }
    const candidates = await this.candidates.of(await this.audit.entriesBetween(ledger, afterSeq, upTo, FEED_ACTION_NAMES));
    this.read.set(ledger, upTo);
    const at = new Date();
    const grants = new DataLoader<string, GrantFacts[]>(
      async (ids) => {
        const held = await this.access.grantsOfDepartments(ids, at);
        return ids.map((id) => held.get(id) ?? []);
      },
      { maxBatchSize: 1000 },
    );
    const batch: LedgerBatch = { ledger, afterSeq, upTo, candidates, at, grants };
    for (const inbox of this.inboxes) inbox.push(batch);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
