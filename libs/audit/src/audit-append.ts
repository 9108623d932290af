import type { EntityManager } from 'typeorm';
import type { SqlParams } from '@app/common';
import { canonicalEntry, entryHash, sealEntry, type AuditEntryData, type AuditEvent } from './hash-chain.js';

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

export const AUDIT_ENTRY_COLUMNS = 'ledger, seq, occurred_at, actor, action, subject_type, subject_id, parties, payload, prev_hash, hash';

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

function requireTransaction(tx: EntityManager): void {
  if (!tx.queryRunner?.isTransactionActive) {
    throw new Error('audit entries are appended inside the transaction of the change they record');
  }
}

/**
 * An event sealed with placeholders, and its canonical text cut around the two
 * values only the ledger's tail decides (prev_hash and seq): the database fills
 * them in under the ledger's lock and hashes the whole (audit_append_many). The
 * district onboarding migrations write the same cut out in their own text and
 * call audit_append, its one-entry form; nothing else appends but through here.
 */
function draftOf(event: AuditEvent, occurredAt: Date): { draft: AuditEntryData; head: string; tail: string } {
  const draft = sealEntry(event, 0, PREV_PLACEHOLDER, occurredAt);
  const canonical = canonicalEntry(draft);
  const marker = `"prevHash":"${PREV_PLACEHOLDER}","seq":0`;
  const at = canonical.lastIndexOf(marker);
  return { draft, head: canonical.slice(0, at + '"prevHash":"'.length), tail: canonical.slice(at + marker.length) };
}

/** The entry as the database sealed it, hashed again here: a disagreement rolls the change back. */
function sealed(draft: AuditEntryData, row: { seq: string; prev_hash: string; hash: string }): AuditEntryData {
  const entry: AuditEntryData = { ...draft, seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash };
  if (entryHash(entry) !== entry.hash) throw new Error('the database hashed an audit entry differently; nothing was written');
  return entry;
}

/**
 * The one way entries are written: to one ledger, inside the caller's
 * transaction, in one round trip (audit_append_many, which takes the ledger's
 * lock, fills in seq and prev_hash and hashes in the database). They commit
 * or roll back with the business write they record; a batch shares one time.
 */
export async function appendAuditEntries(tx: EntityManager, events: AuditEvent[]): Promise<AuditEntryData[]> {
  if (events.length === 0) return [];
  requireTransaction(tx);
  const { ledger, drafts, entries } = batchOf(events);
  const rows = await tx.query<{ seq: string; prev_hash: string; hash: string }[]>(
    `SELECT seq, prev_hash, hash FROM audit_append_many($1, $2::jsonb)`,
    [ledger, entries],
  );
  return rows.map((row, i) => sealed(drafts[i].draft, row));
}

/** A batch of one ledger as audit_append_many takes it: the drafts, and their JSON. */
function batchOf(events: AuditEvent[]) {
  const ledger = events[0].ledger;
  if (events.some((e) => e.ledger !== ledger)) throw new Error('one call appends to one ledger');
  const occurredAt = new Date();
  const drafts = events.map((e) => draftOf(e, occurredAt));
  const entries = JSON.stringify(
    drafts.map(({ draft: d, head, tail }) => ({
      occurred_at: d.occurredAt,
      actor: d.actor,
      action: d.action,
      subject_type: d.subjectType,
      subject_id: d.subjectId,
      parties: d.parties,
      payload: d.payload,
      head,
      tail,
    })),
  );
  return { ledger, drafts, entries };
}

/**
 * The same append as a FROM item (rows seq, prev_hash, hash) for a step that
 * writes its row and its entries in one statement, its values bound in
 * `params`. A single statement commits or rolls back whole, so the entries go
 * with the row they record; the caller makes the call depend on that row being
 * written (see docs/architecture.md, "The audit log"). The database seals the
 * entries: its link trigger refuses any whose hash is not the SHA-256 of the
 * canonical text sent here or whose text does not describe it.
 */
export function auditAppendSql(events: AuditEvent[], params: SqlParams): string {
  if (events.length === 0) throw new Error('nothing to append');
  const { ledger, entries } = batchOf(events);
  return `audit_append_many(${params.bind(ledger)}, ${params.bind(entries)}::jsonb)`;
}

/** Stands where prev_hash goes while the canonical text is made; never a real hash (not hex). */
const PREV_PLACEHOLDER = 'PREV';
