import { Injectable } from '@nestjs/common';
import { AccessPolicy, AccessService } from '@app/access';
import { AuditService } from '@app/audit';
import type { Actor } from '@app/auth';
import { checkPageSize, type Page } from '@app/common';
import { AuditFeedListener, type LedgerBatch } from './audit-feed.listener.js';
import { ExpiryNotices } from './expiry-notices.js';
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor.js';
import { FeedCandidates } from './feed-candidates.js';
import { FEED_ACTION_NAMES, isExchangeKind, type Candidate, type FeedEvent, type FeedEventKind } from './feed-event.js';
import { Inbox } from './inbox.js';
import { holdsReadGrant, verdict } from './recipients.js';

export const MAX_EVENTS_PAGE = 200;
/** Audit entries one request reads at most; past it the page ends early, with a cursor to go on from. */
export const MAX_ENTRIES_SCANNED = 5_000;
const SCAN_BATCH = 500;
/** Batches a subscriber may fall behind by before the oldest are dropped (and then read again from the log). */
const INBOX_CAPACITY = 256;

/** Which events a stream carries. */
export type FeedStream = 'file' | 'exchange' | 'all';

const carries = (stream: FeedStream, kind: FeedEventKind): boolean => stream === 'all' || (stream === 'exchange') === isExchangeKind(kind);

interface Scan {
  events: FeedEvent[];
  /** Whether every entry up to the log's current end was read. */
  exhausted: boolean;
}

/**
 * The change feed: audit entries of a few actions, as events addressed by the
 * access rules. The pull form (page) and the subscriptions (subscribe) read
 * the same log through the same decision, so they agree; every event carries
 * its ledger and seq and a cursor holding the reader's position in every
 * ledger, from which either form resumes.
 */
@Injectable()
export class EventsService {
  constructor(
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly candidates: FeedCandidates,
    private readonly listener: AuditFeedListener,
    private readonly expiries: ExpiryNotices,
  ) {}

  /**
   * Writes the audit entries that announce grants expiring within `days`
   * (once per grant and expiry); the feed then carries them as GRANT_EXPIRING.
   * Returns how many were written.
   */
  announceExpiringGrants(now?: Date, days?: number): Promise<number> {
    return this.expiries.announce(now, days);
  }

  /** Announces expiring grants every minute, in the background. */
  scheduleExpiryNotices(): void {
    this.expiries.schedule();
  }

  /** The caller's events after a cursor (from the log's beginning without one), oldest first within each ledger. */
  async page(caller: AccessPolicy, after: string | null, first: number): Promise<Page<FeedEvent>> {
    checkPageSize(first, MAX_EVENTS_PAGE);
    const position = after ? decodeFeedCursor(after) : new Map<string, number>();
    // One more than asked for, to know whether more follow.
    const { events, exhausted } = await this.scan(caller, position, 'all', first + 1, MAX_ENTRIES_SCANNED);
    const items = events.slice(0, first).map((node) => ({ cursor: node.cursor, node }));
    const hasNextPage = events.length > first || !exhausted;
    // A full page ends at its last event; otherwise past every entry read, so a poller never reads them again.
    const endCursor = events.length > first ? items[items.length - 1].cursor : encodeFeedCursor(position);
    return { items, hasNextPage, endCursor };
  }

  /**
   * Reads feed entries after `position` (advancing it) until `wanted` events
   * for the caller are found, the log ends, or `budget` entries were read.
   */
  private async scan(
    caller: AccessPolicy,
    position: Map<string, number>,
    stream: FeedStream,
    wanted: number,
    budget: number,
  ): Promise<Scan> {
    const events: FeedEvent[] = [];
    let read = 0;
    // Read before the entries: everything up to these was committed before the scan's first statement,
    // so a scan that reaches the end may move past them (past entries that are not events at all).
    const tails = await this.audit.ledgerSizes();
    const reachedEnd = (): Scan => {
      for (const { ledger, size } of tails) if (size > (position.get(ledger) ?? 0)) position.set(ledger, size);
      return { events, exhausted: true };
    };
    for (;;) {
      const entries = await this.audit.entriesAfter(position, FEED_ACTION_NAMES, Math.min(SCAN_BATCH, budget - read));
      const told = await this.told(
        caller,
        (await this.candidates.of(entries)).filter((c) => carries(stream, c.event.kind)),
      );
      const byPosition = new Map(told.map((c) => [`${c.event.ledger}/${c.event.seq}`, c]));
      for (const { ledger, seq } of entries) {
        if (events.length === wanted) return { events, exhausted: false };
        // Every entry read moves the position, whether or not it is an event for this caller.
        position.set(ledger, seq);
        const candidate = byPosition.get(`${ledger}/${seq}`);
        if (candidate) events.push({ ...candidate.event, cursor: encodeFeedCursor(position) });
      }
      read += entries.length;
      if (entries.length < SCAN_BATCH && read < budget) return reachedEnd();
      if (read >= budget) return { events, exhausted: false };
    }
  }

  /** The candidates the caller is told of, in order; grants held in the past are looked up in one query, only when they matter. */
  private async told(caller: AccessPolicy, candidates: Candidate[]): Promise<Candidate[]> {
    const verdicts = candidates.map((c) => ({ c, v: verdict(caller, c) }));
    const past = verdicts.filter(({ v }) => v === 'if it held a grant then').map(({ c }) => c.event.occurredAt);
    const then = past.length ? await this.access.policiesAt(caller.actor, past) : new Map<number, AccessPolicy>();
    return verdicts
      .filter(
        ({ c, v }) => v === 'told' || (v === 'if it held a grant then' && holdsReadGrant(then.get(c.event.occurredAt.getTime())!, c.file!)),
      )
      .map(({ c }) => c);
  }

  /**
   * A subscriber's events: with a cursor, first what it missed (from the
   * log), then live ones; without, live ones from now. Each entry is
   * delivered once: live batches at or below the subscriber's position are
   * skipped, and a gap (a batch beyond its position, after a drop or a
   * reconnect) is read from the log first. The caller's policy is decided
   * again for every batch that carries its kind of event, so a revoked grant
   * stops the flow as it stops queries.
   */
  subscribe(actor: Actor, stream: FeedStream, after: string | null): AsyncIterableIterator<FeedEvent> {
    const start = after === null ? null : decodeFeedCursor(after);
    const inbox = new Inbox<LedgerBatch>(INBOX_CAPACITY);
    const events = this.follow(actor, stream, start, inbox);
    // Closing the inbox ends a subscriber that waits for live events at once, not at its next event.
    return {
      next: () => events.next(),
      return: (value?: unknown) => {
        inbox.close();
        return events.return(value as undefined);
      },
      throw: (error?: unknown) => {
        inbox.close();
        return events.throw(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private async *follow(
    actor: Actor,
    stream: FeedStream,
    start: Map<string, number> | null,
    inbox: Inbox<LedgerBatch>,
  ): AsyncGenerator<FeedEvent, undefined> {
    await this.listener.attach(inbox);
    try {
      const position = start ?? new Map((await this.audit.ledgerSizes()).map((l) => [l.ledger, l.size]));
      if (start) {
        const policy = await this.access.policyFor(actor);
        for (;;) {
          const { events, exhausted } = await this.scan(policy, position, stream, MAX_EVENTS_PAGE, MAX_ENTRIES_SCANNED);
          yield* events;
          if (exhausted) break;
        }
      }
      for await (const batch of inbox) {
        const known = position.get(batch.ledger) ?? 0;
        if (batch.upTo <= known) continue;
        let candidates: Candidate[] = batch.candidates.filter((c) => c.event.seq > known);
        if (batch.afterSeq > known) {
          const missed = await this.audit.entriesBetween(batch.ledger, known, batch.afterSeq, FEED_ACTION_NAMES);
          candidates = [...(await this.candidates.of(missed)), ...candidates];
        }
        candidates = candidates.filter((c) => carries(stream, c.event.kind));
        const policy = candidates.length ? new AccessPolicy(actor, await batch.grants.load(actor.department.id), batch.at) : null;
        const told = new Set(policy ? await this.told(policy, candidates) : []);
        for (const candidate of candidates) {
          position.set(batch.ledger, candidate.event.seq);
          if (told.has(candidate)) yield { ...candidate.event, cursor: encodeFeedCursor(position) };
        }
        position.set(batch.ledger, batch.upTo);
      }
    } finally {
      this.listener.detach(inbox);
    }
    return undefined;
  }
}
