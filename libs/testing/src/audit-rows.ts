import type { KeyObject } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  anchorEvent,
  appendAuditEntries,
  entryHash,
  merkleRoot,
  signCheckpoint,
  toEntryData,
  type AuditEntryData,
  type AuditEntryRow,
  type CheckpointData,
  type UnsealedEntry,
} from '@app/audit';

/** The values of AUDIT_ENTRY_COLUMNS for an entry: for tests that insert rows the append path would refuse, and the benchmark's plain-INSERT floor. */
export function auditEntryValues(e: AuditEntryData): unknown[] {
  return [
    e.ledger,
    e.seq,
    e.occurredAt,
    e.actor,
    e.action,
    e.subjectType,
    e.subjectId,
    e.parties,
    JSON.stringify(e.payload),
    e.prevHash,
    e.hash,
  ];
}

/** An audit_entry row as `SELECT *` gives it. */
export type StoredAuditRow = Omit<AuditEntryRow, 'occurred_at'> & {
  /** The plain column as the driver parses it (the audit library's own reads have PostgreSQL format it). */
  occurred_at: Date;
};

/** A stored row's fields as the hash covers them, for tests that hash entries again after changing one. */
export function storedEntryFields(row: StoredAuditRow): UnsealedEntry {
  const { hash: _hash, ...fields } = toEntryData({ ...row, occurred_at: row.occurred_at.toISOString() });
  return fields;
}

interface Query {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/**
 * History rewritten as the owner could with triggers off: entry `from` of
 * `ledger` gets `payload`, and it and every later entry are hashed again, so
 * the chain still links. Run it inside the caller's tampering transaction.
 */
export async function rewriteLedgerFrom(tx: Query, ledger: string, from: number, payload: unknown): Promise<void> {
  let [{ prev }] = await tx.query<{ prev: string }[]>(`SELECT hash AS prev FROM audit_entry WHERE ledger = $1 AND seq = $2`, [
    ledger,
    from - 1,
  ]);
  const rows = await tx.query<StoredAuditRow[]>(`SELECT * FROM audit_entry WHERE ledger = $1 AND seq >= $2 ORDER BY seq`, [ledger, from]);
  for (const row of rows) {
    const entry = { ...storedEntryFields(row), payload: Number(row.seq) === from ? payload : row.payload, prevHash: prev };
    const hash = entryHash(entry);
    await tx.query(`UPDATE audit_entry SET payload = $3, prev_hash = $4, hash = $5 WHERE ledger = $1 AND seq = $2`, [
      ledger,
      row.seq,
      JSON.stringify(entry.payload),
      prev,
      hash,
    ]);
    prev = hash;
  }
}

/**
 * A checkpoint of the ledger as it is now, signed with the operator's key and
 * anchored in the platform ledger, past the service's own checks (it refuses
 * to sign over anchors the entries no longer match): what a dishonest
 * operator holding the key can do after rewriting history, for tests of what
 * catches it anyway. The database still recomputes the root.
 */
export async function signAsRogueOperator(db: DataSource, ledger: string, key: KeyObject): Promise<CheckpointData> {
  const hashes = (await db.query<{ hash: string }[]>(`SELECT hash FROM audit_entry WHERE ledger = $1 ORDER BY seq`, [ledger])).map(
    (r) => r.hash,
  );
  const signed = signCheckpoint({ ledger, size: hashes.length, rootHash: merkleRoot(hashes), signedAt: new Date().toISOString() }, key);
  await db.transaction(async (tx) => {
    await tx.query(`SELECT audit_record_checkpoint($1, 0, $2, $3, $4, $5, $6)`, [
      ledger,
      signed.size,
      signed.rootHash,
      signed.signedAt,
      signed.keyId,
      signed.signature,
    ]);
    await appendAuditEntries(tx, [anchorEvent(signed)]);
  });
  return signed;
}
