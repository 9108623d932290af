import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { createTestDatabase, rewriteLedgerFrom, storedEntryFields, type StoredAuditRow, type TestDatabase } from '@app/testing';
import { appendAuditEntries } from './audit-append.js';
import { AuditRepository } from './audit.repository.js';
import { AuditKeys, AuditService } from './audit.service.js';
import { canonicalEntry, type AuditEvent } from './hash-chain.js';
import { LedgerVerifier, type VerificationResult } from './ledger-verifier.js';
import { CACHE_BOUND, verifyRange } from './range-verifier.js';

/**
 * Verification in ranges (joined in order, on one connection or several)
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
    await db.transaction((tx) => appendAuditEntries(tx, [event(ledger, n)]));
    if (CHECKPOINTS.has(n)) await audit.checkpoint(ledger);
  }
  return ledger;
}

const PAYLOAD_CACHED = 'payload_jcs IS NULL OR payload_jcs::jsonb = payload';

async function tamper(sql: (tx: EntityManager) => Promise<unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    // The constraint that binds the cached payload text holds with triggers off: the owner drops it first,
    // and puts it back without validating the rows, so that it looks in place (verification then compares).
    await tx.query(`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_payload_cached`);
    await sql(tx);
    await tx.query(`ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_payload_cached CHECK (${PAYLOAD_CACHED}) NOT VALID`);
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

const rewriteFrom = (ledger: string, from: number) => tamper((tx) => rewriteLedgerFrom(tx, ledger, from, { n: from, rewritten: true }));

/** Rewrites one entry's cached payload text and seals the entry over that text, as only the owner could (no later hash recomputed). */
async function hashOverCache(ledger: string, seq: number, cached: string): Promise<void> {
  await tamper(async (tx) => {
    const [row] = await tx.query<StoredAuditRow[]>(`SELECT * FROM audit_entry WHERE ledger = $1 AND seq = $2`, [ledger, seq]);
    const canonical = canonicalEntry({ ...storedEntryFields(row), payload: { placeholder: true } }).replace('{"placeholder":true}', cached);
    await tx.query(`UPDATE audit_entry SET payload_jcs = $3, hash = $4 WHERE ledger = $1 AND seq = $2`, [
      ledger,
      seq,
      cached,
      createHash('sha256').update(canonical).digest('hex'),
    ]);
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
  it('sees the constraint that binds cached payload texts on a migrated database, so that it need not compare them', async () => {
    expect(await db.query(`SELECT ${CACHE_BOUND} AS bound`)).toEqual([{ bound: true }]);
  });

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
    // The payload's cached canonical text is not part of the entry: the entries decide.
    ['a cached payload text missing', null, update(`UPDATE audit_entry SET payload_jcs = NULL WHERE ledger = $1 AND seq IN (3, 10)`)],
    ['a cached payload text changed alone', null, update(`UPDATE audit_entry SET payload_jcs = '{"n":0}' WHERE ledger = $1 AND seq = 20`)],
    [
      'a payload and its cached text changed together',
      21,
      update(`UPDATE audit_entry SET payload = '{"n":0}', payload_jcs = '{"n":0}' WHERE ledger = $1 AND seq = 21`),
    ],
    ['a cached text that is not JSON, the hash recomputed over it', 7, (l: string) => hashOverCache(l, 7, '{"n":')],
    [
      'a cached text that describes the payload but is not canonical, the hash recomputed over it',
      26,
      (l: string) => hashOverCache(l, 26, '{ "n": 26, "note": null }'),
    ],
  ])('%s: the same first bad seq (%p) in one range, in ranges, and on several connections', async (_name, firstBadSeq, change) => {
    const ledger = await fresh();
    await change(ledger);
    const reference = await entryByEntry(ledger);
    expect(reference.firstBadSeq).toBe(firstBadSeq);
    expect(reference.ok).toBe(firstBadSeq === null);
    const oneRange = await audit.verifyLedger(ledger, undefined, { connections: 1 });
    const rangesHere = await audit.verifyLedger(ledger, undefined, { connections: 1, rangeSize: 8 });
    const atOnce = await audit.verifyLedger(ledger, undefined, { connections: 3, rangeSize: 8 });
    expect(oneRange).toEqual(reference);
    expect(rangesHere).toEqual(reference);
    expect(atOnce).toEqual(reference);
  });

  it('cannot meet a payload that its cached text does not describe while the constraint stands, triggers off or not', async () => {
    const ledger = await fresh();
    const change = (sql: string) =>
      db.transaction(async (tx) => {
        await tx.query(`SET LOCAL session_replication_role = replica`);
        await tx.query(sql, [ledger]);
      });
    await expect(change(`UPDATE audit_entry SET payload = '{"n": 0}' WHERE ledger = $1 AND seq = 5`)).rejects.toThrow(
      /audit_entry_payload_cached/,
    );
    await expect(change(`UPDATE audit_entry SET payload_jcs = '{"n":0}' WHERE ledger = $1 AND seq = 5`)).rejects.toThrow(
      /audit_entry_payload_cached/,
    );
    // Once the owner tampered (the cases above put it back NOT VALID), the verifier compares again,
    // and the constraint cannot be validated over a changed payload.
    expect(await db.query(`SELECT ${CACHE_BOUND} AS bound`)).toEqual([{ bound: false }]);
    await expect(db.query(`ALTER TABLE audit_entry VALIDATE CONSTRAINT audit_entry_payload_cached`)).rejects.toThrow(
      /audit_entry_payload_cached/,
    );
  });

  it('hashes in PostgreSQL, and encodes in JavaScript only the pages it could not confirm', async () => {
    const ledger = await fresh();
    // A connection of its own for each run (the embedded database has one session, which tamper needs in between).
    const range = async (batch: number) => {
      const runner = db.createQueryRunner();
      try {
        const client = (await runner.connect()) as pg.PoolClient;
        return await verifyRange(client, { ledger, from: 1, to: SIZE, checkpointSizes: [], batch });
      } finally {
        await runner.release();
      }
    };
    expect(await range(16)).toMatchObject({ count: SIZE, fault: null, checkedInJavaScript: 0 });
    await tamper((tx) => tx.query(`UPDATE audit_entry SET payload_jcs = NULL WHERE ledger = $1 AND seq = 20`, [ledger]));
    // Seq 20 is in the second page of 16 (17..32): that page alone is encoded here, and still holds.
    expect(await range(16)).toMatchObject({ count: SIZE, fault: null, checkedInJavaScript: 16 });
  });

  it('reports progress over all ranges, and refuses a range size that is not a power of two', async () => {
    const ledger = await fresh();
    const seen: number[] = [];
    expect(await audit.verifyLedger(ledger, (checked) => seen.push(checked), { connections: 1, rangeSize: 16 })).toMatchObject({
      ok: true,
      checked: SIZE,
    });
    expect(seen.at(-1)).toBe(SIZE);
    await expect(audit.verifyLedger(ledger, undefined, { rangeSize: 12 })).rejects.toThrow(/power of two/);
  });
});
