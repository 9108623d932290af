import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import DataLoader from 'dataloader';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AccessService, type GrantFacts } from '@app/access';
import { AuditService } from '@app/audit';
import { FeedCandidates } from './feed-candidates.js';
import { FEED_ACTION_NAMES, type Candidate } from './feed-event.js';
import type { Inbox } from './inbox.js';

/** The channel the audit_entry trigger notifies (migration AuditEntryNotify). */
export const AUDIT_ENTRY_CHANNEL = 'audit_entry_appended';
/** How often the embedded database, which cannot notify another session, is polled. */
export const POLL_INTERVAL_MS = 500;
const RECONNECT_DELAY_MS = 1000;

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
 * One per process: a single connection that LISTENs for committed audit
 * entries; on a notification it reads the new entries of that ledger once and
 * hands them to every subscriber of this process. Replicas each have their
 * own, so N replicas need no broker: PostgreSQL tells each of them.
 *
 * The embedded database has one session (the pool's), which cannot also
 * listen: there the ledgers' sizes are polled instead.
 *
 * Started by the first subscriber, so that a process nobody subscribes to
 * holds no extra connection.
 */
@Injectable()
export class AuditFeedListener implements OnApplicationShutdown {
  private readonly logger = new Logger('AuditFeedListener');
  private readonly inboxes = new Set<Inbox<LedgerBatch>>();
  /** The last seq this process has read of each ledger. */
  private readonly read = new Map<string, number>();
  /** Notified, not yet read: the lowest and highest seq per ledger. */
  private readonly pending = new Map<string, { from: number; to: number }>();
  private started: Promise<void> | null = null;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly candidates: FeedCandidates,
    private readonly access: AccessService,
  ) {}

  /** Whether this process polls instead of listening (the embedded database: a pool of one session). */
  get polling(): boolean {
    return (this.db.options as { poolSize?: number }).poolSize === 1;
  }

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
    if (this.polling) {
      this.timer = setInterval(() => this.serialize(() => this.sweep()), POLL_INTERVAL_MS);
      this.timer.unref();
      return;
    }
    await this.listen();
  }

  private async listen(): Promise<void> {
    const { url } = this.db.options as { url?: string };
    const client = new pg.Client({ connectionString: url, application_name: 'directory-api-feed' });
    client.on('notification', (n) => this.notified(n.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${AUDIT_ENTRY_CHANNEL}`);
    this.client = client;
  }

  /** The listening connection dropped: listen again, then catch up on whatever was committed meanwhile. */
  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.logger.warn(`the audit feed's listening connection was lost${error ? ` (${error.message})` : ''}; reconnecting`);
    client.end().catch(() => undefined);
    const retry = () => {
      if (this.stopped) return;
      this.listen()
        .then(() => this.serialize(() => this.sweep()))
        .catch((e: Error) => {
          this.logger.warn(`listening for audit entries failed (${e.message}); retrying`);
          setTimeout(retry, RECONNECT_DELAY_MS).unref();
        });
    };
    setTimeout(retry, RECONNECT_DELAY_MS).unref();
  }

  private notified(payload: string | undefined): void {
    let note: { ledger?: unknown; seq?: unknown };
    try {
      note = JSON.parse(payload ?? '') as typeof note;
    } catch {
      return;
    }
    if (typeof note.ledger !== 'string' || typeof note.seq !== 'number') return;
    const range = this.pending.get(note.ledger);
    if (range) range.to = Math.max(range.to, note.seq);
    else this.pending.set(note.ledger, { from: note.seq, to: note.seq });
    // A burst of notifications is read in one query per ledger.
    if (range === undefined && this.pending.size === 1) setImmediate(() => this.serialize(() => this.flush()));
  }

  /** One read at a time, in order: batches of a ledger reach subscribers in seq order. */
  private serialize(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: Error) => this.logger.error(`reading new audit entries failed: ${error.message}`));
  }

  private async flush(): Promise<void> {
    const ranges = [...this.pending];
    this.pending.clear();
    for (const [ledger, { from, to }] of ranges) await this.publish(ledger, this.read.get(ledger) ?? from - 1, to);
  }

  /** Compares every ledger's size with what this process has read (polling, and after a reconnect). */
  private async sweep(): Promise<void> {
    if (this.inboxes.size === 0) return;
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

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
