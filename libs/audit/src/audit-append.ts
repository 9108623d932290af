import type { EntityManager } from 'typeorm';
import { GENESIS_HASH, sealEntry, type AuditEntryData, type AuditEvent } from './hash-chain.js';

export interface AuditEntryRow {
  ledger: string;
  seq: string;
  occurred_at: Date;
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

export function toEntryData(row: AuditEntryRow): AuditEntryData {
  return {
    ledger: row.ledger,
    seq: Number(row.seq),
    occurredAt: row.occurred_at.toISOString(),
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
 * Appends one entry to its ledger inside the caller's transaction: the entry
 * commits or rolls back with the business write it records.
 *
 * Call it last in the transaction: it takes the ledger's lock, and the lock's
 * hold time (until commit) is what bounds a ledger's throughput.
 */
export async function appendAuditEntry(tx: EntityManager, event: AuditEvent): Promise<AuditEntryData> {
  if (!tx.queryRunner?.isTransactionActive) {
    throw new Error('audit entries are appended inside the transaction of the change they record');
  }
  const [tail] = (await tx.query('SELECT tail_seq, tail_hash FROM audit_lock_tail($1)', [event.ledger])) as {
    tail_seq: string | null;
    tail_hash: string | null;
  }[];
  const seq = tail.tail_seq === null ? 1 : Number(tail.tail_seq) + 1;
  const entry = sealEntry(event, seq, tail.tail_hash ?? GENESIS_HASH, new Date());
  await tx.query(
    `INSERT INTO audit_entry (${AUDIT_ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      entry.ledger,
      entry.seq,
      entry.occurredAt,
      entry.actor,
      entry.action,
      entry.subjectType,
      entry.subjectId,
      entry.parties,
      JSON.stringify(entry.payload),
      entry.prevHash,
      entry.hash,
    ],
  );
  return entry;
}
