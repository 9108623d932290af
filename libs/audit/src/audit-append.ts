import type { EntityManager } from 'typeorm';
import { canonicalEntry, entryHash, GENESIS_HASH, sealEntry, type AuditEntryData, type AuditEvent } from './hash-chain.js';

export interface AuditEntryRow {
  ledger: string;
  seq: string;
  /** Already in the canonical ISO form, formatted by PostgreSQL (see AUDIT_ENTRY_SELECT). */
  occurred_at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  parties: string[];
  payload: unknown;
  prev_hash: string;
  hash: string;
}

export const AUDIT_ENTRY_COLUMNS =
  'ledger, seq, occurred_at, actor, action, subject_type, subject_id, parties, payload, prev_hash, hash';

/**
 * The columns as read: the time comes formatted as the hash covers it, which
 * spares a Date per entry when a whole ledger is verified.
 */
export const AUDIT_ENTRY_SELECT = AUDIT_ENTRY_COLUMNS.replace(
  'occurred_at',
  `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at`,
);

export function toEntryData(row: AuditEntryRow): AuditEntryData {
  return {
    ledger: row.ledger,
    seq: Number(row.seq),
    occurredAt: row.occurred_at,
    actor: row.actor,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    parties: row.parties,
    payload: row.payload,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends entries to one ledger inside the caller's transaction: they commit or
 * roll back with the business write they record. This is the only way in.
 *
 * Call it last in the transaction: it takes the ledger's lock, and the lock's
 * hold time (until commit) is what bounds a ledger's throughput.
 */
export async function appendAuditEntries(tx: EntityManager, events: AuditEvent[]): Promise<AuditEntryData[]> {
  if (events.length === 0) return [];
  if (!tx.queryRunner?.isTransactionActive) {
    throw new Error('audit entries are appended inside the transaction of the change they record');
  }
  const ledger = events[0].ledger;
  if (events.some((e) => e.ledger !== ledger)) throw new Error('one call appends to one ledger');
  const [tail] = await tx.query<{ tail_seq: string | null; tail_hash: string | null }[]>(
    'SELECT tail_seq, tail_hash FROM audit_lock_tail($1)',
    [ledger],
  );
  let seq = tail.tail_seq === null ? 0 : Number(tail.tail_seq);
  let prevHash = tail.tail_hash ?? GENESIS_HASH;
  const occurredAt = new Date();
  const entries = events.map((event) => {
    const entry = sealEntry(event, ++seq, prevHash, occurredAt);
    prevHash = entry.hash;
    return entry;
  });
  await tx.query(
    `INSERT INTO audit_entry (${AUDIT_ENTRY_COLUMNS})
     SELECT ledger, seq, occurred_at, actor, action, subject_type, subject_id, parties, payload, prev_hash, hash
       FROM jsonb_to_recordset($1::jsonb) AS e(ledger text, seq bigint, occurred_at timestamptz, actor text, action text,
            subject_type text, subject_id text, parties text[], payload jsonb, prev_hash text, hash text)
      ORDER BY seq`,
    [
      JSON.stringify(
        entries.map((e) => ({
          ledger: e.ledger,
          seq: e.seq,
          occurred_at: e.occurredAt,
          actor: e.actor,
          action: e.action,
          subject_type: e.subjectType,
          subject_id: e.subjectId,
          parties: e.parties,
          payload: e.payload,
          prev_hash: e.prevHash,
          hash: e.hash,
        })),
      ),
    ],
  );
  return entries;
}

/**
 * Appends one entry in one round trip (see audit_append in the AuditLog
 * migration): the canonical text is made here, the tail's seq and hash are
 * filled in by the database under the ledger's lock. The entry read back is
 * hashed again here, so a disagreement between the two rolls the change back.
 */
export async function appendAuditEntry(tx: EntityManager, event: AuditEvent): Promise<AuditEntryData> {
  if (!tx.queryRunner?.isTransactionActive) {
    throw new Error('audit entries are appended inside the transaction of the change they record');
  }
  const draft = sealEntry(event, 0, PREV_PLACEHOLDER, new Date());
  const canonical = canonicalEntry(draft);
  const marker = `"prevHash":"${PREV_PLACEHOLDER}","seq":0`;
  const at = canonical.lastIndexOf(marker);
  const head = canonical.slice(0, at + '"prevHash":"'.length);
  const tail = canonical.slice(at + marker.length);
  const [row] = await tx.query<{ seq: string; prev_hash: string; hash: string }[]>(
    `SELECT seq, prev_hash, hash FROM audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [draft.ledger, draft.occurredAt, draft.actor, draft.action, draft.subjectType, draft.subjectId, draft.parties, JSON.stringify(draft.payload), head, tail],
  );
  const entry: AuditEntryData = { ...draft, seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash };
  if (entryHash(entry) !== entry.hash) throw new Error('the database hashed an audit entry differently; nothing was written');
  return entry;
}

/** Stands where prev_hash goes while the canonical text is made; never a real hash (not hex). */
const PREV_PLACEHOLDER = 'PREV';
