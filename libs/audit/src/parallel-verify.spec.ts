import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/test-database.js';
import { appendAuditEntry } from './audit-append.js';
import { AuditRepository } from './audit.repository.js';
import { AuditKeys, AuditService } from './audit.service.js';
import { entryHash, type AuditEvent } from './hash-chain.js';
import { LedgerVerifier, type VerificationResult } from './ledger-verifier.js';

/**
 * Verification in ranges (joined in order, on worker threads or in this one)
 * must find the same first fault as the entry-by-entry LedgerVerifier.push,
 * whichever range the tampering falls in and wherever it meets a range's edge.
 */
let database: TestDatabase;
let db: DataSource;
let audit: AuditService;
const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);
const SIZE = 40;
const CHECKPOINTS = new Set([5, 12, 16, 24, 33, 40]);

const event = (ledger: string, n: number): AuditEvent => ({
  ledger,
  actor: `tester@dept-${n % 3}`,
  action: 'test.appended',
  subjectType: 'Test',
  // Quotes, control characters and non-ASCII: PostgreSQL encodes these strings for the range reader.
  subjectId: `${n} "é"\t\u0002`,
  parties: [`dept-${n % 3}`, 'dept-"quoted"\n'],
  payload: { n, note: n % 2 ? 'é\u0001' : null },
});

let count = 0;
async function fresh(): Promise<string> {
  const ledger = `ranges-${++count}`;
  for (let n = 1; n <= SIZE; n++) {
    await db.transaction((tx) => appendAuditEntry(tx, event(ledger, n)));
    if (CHECKPOINTS.has(n)) await audit.checkpoint(ledger);
  }
  return ledger;
}

async function tamper(sql: (tx: EntityManager) => Promise<unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await sql(tx);
  });
}

/** The reference: every entry pushed one at a time, with the checkpoints. */
async function entryByEntry(ledger: string): Promise<VerificationResult> {
  const repository = new AuditRepository(db);
  const verifier = new LedgerVerifier(ledger, await repository.checkpoints(ledger), [publicKey]);
  for await (const batch of repository.stream(ledger)) {
    for (const e of batch) if (!verifier.push(e)) return verifier.finish();
  }
  return verifier.finish();
}

async function rewriteFrom(ledger: string, from: number): Promise<void> {
  await tamper(async (tx) => {
    let [{ prev }] = await tx.query<{ prev: string }[]>(`SELECT hash AS prev FROM audit_entry WHERE ledger = $1 AND seq = $2`, [
      ledger,
      from - 1,
    ]);
    const rows = await tx.query<any[]>(`SELECT * FROM audit_entry WHERE ledger = $1 AND seq >= $2 ORDER BY seq`, [ledger, from]);
    for (const row of rows) {
      const payload = Number(row.seq) === from ? { n: from, rewritten: true } : row.payload;
      const e = {
        ledger,
        seq: Number(row.seq),
        occurredAt: row.occurred_at.toISOString(),
        actor: row.actor,
        action: row.action,
        subjectType: row.subject_type,
        subjectId: row.subject_id,
        parties: row.parties,
        payload,
        prevHash: prev,
      };
      const hash = entryHash(e);
      await tx.query(`UPDATE audit_entry SET payload = $3, prev_hash = $4, hash = $5 WHERE ledger = $1 AND seq = $2`, [
        ledger,
        row.seq,
        JSON.stringify(payload),
        prev,
        hash,
      ]);
      prev = hash;
    }
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  audit = new AuditService(db, new AuditKeys(privateKey, [publicKey]));
});

afterAll(() => database.drop());

describe('verification in ranges', () => {
  const update = (sql: string) => (l: string) => tamper((tx) => tx.query(sql, [l]));
  it.each([
    ['nothing changed', null, () => Promise.resolve()],
    ['a payload changed mid-range', 11, update(`UPDATE audit_entry SET payload = '{"n": 1100}' WHERE ledger = $1 AND seq = 11`)],
    ['the first entry of a range changed', 9, update(`UPDATE audit_entry SET payload = '{"n": 900}' WHERE ledger = $1 AND seq = 9`)],
    ['a link broken at a range edge', 17, update(`UPDATE audit_entry SET prev_hash = repeat('c', 64) WHERE ledger = $1 AND seq = 17`)],
    ['the last entry of a range deleted', 16, update(`DELETE FROM audit_entry WHERE ledger = $1 AND seq = 16`)],
    ['a whole range deleted', 9, update(`DELETE FROM audit_entry WHERE ledger = $1 AND seq BETWEEN 9 AND 16`)],
    ['the first entry deleted', 1, update(`DELETE FROM audit_entry WHERE ledger = $1 AND seq = 1`)],
    ['the tail truncated after a checkpoint', 39, update(`DELETE FROM audit_entry WHERE ledger = $1 AND seq >= 39`)],
    ['history rewritten mid-range, later hashes recomputed', 25, (l: string) => rewriteFrom(l, 30)],
    ['history rewritten at a range edge, later hashes recomputed', 13, (l: string) => rewriteFrom(l, 14)],
  ])('%s: the same first bad seq (%p) sequentially, in ranges, and on worker threads', async (_name, firstBadSeq, change) => {
    const ledger = await fresh();
    await change(ledger);
    const reference = await entryByEntry(ledger);
    expect(reference.firstBadSeq).toBe(firstBadSeq);
    expect(reference.ok).toBe(firstBadSeq === null);
    const oneRange = await audit.verifyLedger(ledger, undefined, { workers: 1 });
    const rangesHere = await audit.verifyLedger(ledger, undefined, { workers: 1, rangeSize: 8 });
    const onWorkers = await audit.verifyLedger(ledger, undefined, { workers: database.embedded ? 1 : 2, rangeSize: 8 });
    expect(oneRange).toEqual(reference);
    expect(rangesHere).toEqual(reference);
    expect(onWorkers).toEqual(reference);
  });

  it('falls back to this thread when the workers cannot connect, with the same finding', async () => {
    if (database.embedded) return;
    const ledger = await fresh();
    await tamper((tx) => tx.query(`UPDATE audit_entry SET payload = '{"n": 1300}' WHERE ledger = $1 AND seq = 13`, [ledger]));
    // The same database, but the address the workers are given refuses connections.
    const unreachable = new Proxy(db, {
      get: (target, key) =>
        key === 'options' ? { ...target.options, url: 'postgres://postgres@127.0.0.1:1/none' } : Reflect.get(target, key),
    });
    const fallback = new AuditService(unreachable, new AuditKeys(privateKey, [publicKey]));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const result = await fallback.verifyLedger(ledger, undefined, { workers: 2, rangeSize: 8 });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/on worker threads failed .*; verifying in this thread/));
      expect(result).toEqual(await entryByEntry(ledger));
      expect(result).toMatchObject({ ok: false, firstBadSeq: 13, reason: expect.stringMatching(/hash-mismatch/) });
    } finally {
      warn.mockRestore();
    }
  });

  it('reports progress over all ranges, and refuses a range size that is not a power of two', async () => {
    const ledger = await fresh();
    const seen: number[] = [];
    expect(await audit.verifyLedger(ledger, (checked) => seen.push(checked), { workers: 1, rangeSize: 16 })).toMatchObject({
      ok: true,
      checked: SIZE,
    });
    expect(seen.at(-1)).toBe(SIZE);
    await expect(audit.verifyLedger(ledger, undefined, { rangeSize: 12 })).rejects.toThrow(/power of two/);
  });
});
