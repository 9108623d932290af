import type { DataSource, EntityManager } from 'typeorm';
import type { CheckpointData } from './checkpoint.js';
import type { AuditEntryData } from './hash-chain.js';
import { AUDIT_ENTRY_SELECT, toEntryData, type AuditEntryRow } from './audit-append.js';
import { readCheckpoint } from './receipt.js';

/** An anchor's size as migration AnchorsByLedger indexes it (the same text, so that the index serves the read): NULL unless a whole number. */
const ANCHOR_SIZE = `(CASE WHEN payload->>'size' ~ '^[0-9]{1,15}$' THEN (payload->>'size')::bigint END)`;

interface CheckpointRow {
  ledger: string;
  size: string;
  root_hash: string;
  signed_at: Date;
  key_id: string;
  signature: string;
  frontier: string[];
}

export type StoredCheckpoint = CheckpointData & { frontier: string[] };

const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({
  ledger: r.ledger,
  size: Number(r.size),
  rootHash: r.root_hash,
  signedAt: r.signed_at.toISOString(),
  keyId: r.key_id,
  signature: r.signature,
  frontier: r.frontier,
});

/** Reading the audit tables. Entries are written only by the append (audit-append.ts). */
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  async hasEntries(ledger: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(`SELECT 1 FROM audit_entry WHERE ledger = $1 LIMIT 1`, [ledger]);
    return rows.length > 0;
  }

  /** Every ledger with entries, and its size. */
  async ledgers(): Promise<{ ledger: string; size: number }[]> {
    const rows = await this.db.query<{ ledger: string; size: string }[]>(
      `SELECT l.ledger, (SELECT max(seq) FROM audit_entry e WHERE e.ledger = l.ledger) AS size
         FROM (SELECT DISTINCT ledger FROM audit_entry) l ORDER BY l.ledger`,
    );
    return rows.map((r) => ({ ledger: r.ledger, size: Number(r.size) }));
  }

  /**
   * Every ledger and its size, by a skip scan of the (ledger, seq) key: a
   * couple of index probes per ledger, however long the ledgers are (the
   * change feed asks this often; ledgers() reads every entry).
   */
  async tails(): Promise<{ ledger: string; size: number }[]> {
    const rows = await this.db.query<{ ledger: string; size: string }[]>(
      `WITH RECURSIVE l(ledger) AS (
         (SELECT ledger FROM audit_entry ORDER BY ledger LIMIT 1)
         UNION ALL
         SELECT (SELECT e.ledger FROM audit_entry e WHERE e.ledger > l.ledger ORDER BY e.ledger LIMIT 1) FROM l WHERE l.ledger IS NOT NULL
       )
       SELECT l.ledger, (SELECT e.seq FROM audit_entry e WHERE e.ledger = l.ledger ORDER BY e.seq DESC LIMIT 1) AS size
         FROM l WHERE l.ledger IS NOT NULL ORDER BY l.ledger`,
    );
    return rows.map((r) => ({ ledger: r.ledger, size: Number(r.size) }));
  }

  async size(ledger: string): Promise<number> {
    const [row] = await this.db.query<{ size: string | null }[]>(`SELECT max(seq) AS size FROM audit_entry WHERE ledger = $1`, [ledger]);
    return Number(row.size ?? 0);
  }

  /** A page in seq order; `party` limits it to the entries that concern that department. */
  async page(ledger: string, afterSeq: number, limit: number, party: string | null): Promise<AuditEntryData[]> {
    const rows = await this.db.query<AuditEntryRow[]>(
      `SELECT ${AUDIT_ENTRY_SELECT} FROM audit_entry
        WHERE ledger = $1 AND seq > $2 AND ($4::text IS NULL OR parties @> ARRAY[$4::text])
        ORDER BY seq LIMIT $3`,
      [ledger, afterSeq, limit, party],
    );
    return rows.map(toEntryData);
  }

  async entry(ledger: string, seq: number): Promise<AuditEntryData | null> {
    const [row] = await this.db.query<AuditEntryRow[]>(`SELECT ${AUDIT_ENTRY_SELECT} FROM audit_entry WHERE ledger = $1 AND seq = $2`, [
      ledger,
      seq,
    ]);
    return row ? toEntryData(row) : null;
  }

  /**
   * Entries with one of `actions` after each ledger's position (0 for a ledger
   * not named), in (ledger, seq) order, so that what a page returns of each
   * ledger is a prefix of what remains of it: a reader that resumes from the
   * positions it reached skips nothing and sees nothing twice.
   */
  async entriesAfter(positions: ReadonlyMap<string, number>, actions: readonly string[], limit: number): Promise<AuditEntryData[]> {
    // Per ledger (found by a skip scan of the key), a range scan of the key from its position:
    // a reader at the end of the log costs a few index probes, not a read of every entry.
    const rows = await this.db.query<AuditEntryRow[]>(
      `WITH RECURSIVE l(ledger) AS (
         (SELECT ledger FROM audit_entry ORDER BY ledger LIMIT 1)
         UNION ALL
         SELECT (SELECT e.ledger FROM audit_entry e WHERE e.ledger > l.ledger ORDER BY e.ledger LIMIT 1) FROM l WHERE l.ledger IS NOT NULL
       ), c AS (
         SELECT l.ledger, COALESCE(p.seq, 0) AS seq
           FROM l LEFT JOIN unnest($1::text[], $2::bigint[]) AS p(ledger, seq) ON p.ledger = l.ledger
          WHERE l.ledger IS NOT NULL
       )
       SELECT x.* FROM c CROSS JOIN LATERAL (
         SELECT ${AUDIT_ENTRY_SELECT} FROM audit_entry e
          WHERE e.ledger = c.ledger AND e.seq > c.seq AND e.action = ANY($3::text[])
          ORDER BY e.seq LIMIT $4
       ) x
       ORDER BY x.ledger, x.seq LIMIT $4`,
      [[...positions.keys()], [...positions.values()], actions, limit],
    );
    return rows.map(toEntryData);
  }

  /** Entries of one ledger with one of `actions`, seq afterSeq+1..upTo, in order. */
  async entriesBetween(ledger: string, afterSeq: number, upTo: number, actions: readonly string[]): Promise<AuditEntryData[]> {
    const rows = await this.db.query<AuditEntryRow[]>(
      `SELECT ${AUDIT_ENTRY_SELECT} FROM audit_entry WHERE ledger = $1 AND seq > $2 AND seq <= $3 AND action = ANY($4::text[]) ORDER BY seq`,
      [ledger, afterSeq, upTo, actions],
    );
    return rows.map(toEntryData);
  }

  /** The latest entry about a subject, e.g. an exchange's last step. */
  async latestAbout(
    ledger: string,
    subjectType: string,
    subjectId: string,
    db: DataSource | EntityManager = this.db,
  ): Promise<AuditEntryData | null> {
    const [row] = await db.query<AuditEntryRow[]>(
      `SELECT ${AUDIT_ENTRY_SELECT} FROM audit_entry WHERE ledger = $1 AND subject_type = $2 AND subject_id = $3 ORDER BY seq DESC LIMIT 1`,
      [ledger, subjectType, subjectId],
    );
    return row ? toEntryData(row) : null;
  }

  /** Streams a ledger in key order, a batch at a time, so that no ledger is loaded whole. */
  async *stream(ledger: string, fromSeq = 1, batch = 10_000): AsyncGenerator<AuditEntryData[]> {
    let after = fromSeq - 1;
    for (;;) {
      const rows = await this.db.query<AuditEntryRow[]>(
        `SELECT ${AUDIT_ENTRY_SELECT} FROM audit_entry WHERE ledger = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [ledger, after, batch],
      );
      if (rows.length === 0) return;
      const entries = rows.map(toEntryData);
      yield entries;
      after = entries[entries.length - 1].seq;
    }
  }

  /** Entry hashes of seq afterSeq+1..upTo, in order: for proofs (from 0) and for extending a tree. */
  async hashesAfter(ledger: string, afterSeq: number, upTo: number): Promise<string[]> {
    const rows = await this.db.query<{ hash: string }[]>(
      `SELECT hash FROM audit_entry WHERE ledger = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [ledger, afterSeq, upTo],
    );
    return rows.map((r) => r.hash);
  }

  async checkpoints(ledger: string): Promise<StoredCheckpoint[]> {
    const rows = await this.db.query<CheckpointRow[]>(`SELECT * FROM audit_checkpoint WHERE ledger = $1 ORDER BY size`, [ledger]);
    return rows.map(toCheckpoint);
  }

  /**
   * The checkpoints of `ledger` anchored in the platform ledger, as their
   * entries carry them (signature included): evidence of the ledger's past
   * that deleting checkpoint rows does not remove; those larger than
   * `pastSize` only (one index range, migration AnchorsByLedger). Payloads
   * that are not a checkpoint are left out; the signatures are for the
   * caller to check.
   */
  async anchoredCheckpoints(ledger: string, pastSize = 0): Promise<CheckpointData[]> {
    const rows = await this.db.query<{ payload: unknown }[]>(
      `SELECT payload FROM audit_entry
        WHERE ledger = 'platform' AND action = 'checkpoint.anchored' AND payload->>'ledger' = $1 AND ${ANCHOR_SIZE} > $2
        ORDER BY seq`,
      [ledger, pastSize],
    );
    return rows.map((r) => readCheckpoint(r.payload)).filter((c): c is CheckpointData => c?.ledger === ledger);
  }

  /**
   * Rows of size at most `maxSize`, largest first, a page at a time after the
   * row `after` (a page may hold forged rows: by keyset, so that any number of
   * them costs one index range, not a scan per page).
   */
  async checkpointsDescending(
    ledger: string,
    maxSize: number,
    limit: number,
    after: { size: number; signature: string } | null,
  ): Promise<StoredCheckpoint[]> {
    const rows = await this.db.query<CheckpointRow[]>(
      `SELECT * FROM audit_checkpoint
        WHERE ledger = $1 AND size <= $2 AND ($4::bigint IS NULL OR (size, signature) < ($4, $5))
        ORDER BY size DESC, signature DESC LIMIT $3`,
      [ledger, maxSize, limit, after?.size ?? null, after?.signature ?? null],
    );
    return rows.map(toCheckpoint);
  }

  async checkpointsOfSize(ledger: string, size: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db.query<CheckpointRow[]>(`SELECT * FROM audit_checkpoint WHERE ledger = $1 AND size = $2 ORDER BY signed_at`, [
      ledger,
      size,
    ]);
    return rows.map(toCheckpoint);
  }

  /**
   * Stores a signed checkpoint through audit_record_checkpoint (see the
   * AuditCheckpointGuard migration), which recomputes the root from the
   * entries, continuing from the stored checkpoint of `baseSize` (0: from the
   * first entry), and refuses a root that differs. Returns the frontier it stored.
   */
  async recordCheckpoint(c: CheckpointData, baseSize: number, db: EntityManager = this.db.manager): Promise<string[]> {
    const [row] = await db.query<{ frontier: string[] }[]>(`SELECT audit_record_checkpoint($1, $2, $3, $4, $5, $6, $7) AS frontier`, [
      c.ledger,
      baseSize,
      c.size,
      c.rootHash,
      c.signedAt,
      c.keyId,
      c.signature,
    ]);
    return row.frontier;
  }
}
