import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { auditEntryValues, createTestDatabase, rewriteLedgerFrom, type TestDatabase } from '@app/testing';
import { AUDIT_ENTRY_COLUMNS } from './audit-append.js';
import { appendAuditEntries } from './audit-append.js';
import { AuditRepository } from './audit.repository.js';
import { AuditKeys, AuditService } from './audit.service.js';
import { entryHash, sealEntry, type AuditEvent } from './hash-chain.js';
import { LedgerVerifier } from './ledger-verifier.js';
import { verifyReceipt } from './receipt.js';

let database: TestDatabase;
let db: DataSource;
let audit: AuditService;
const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);

const event = (ledger: string, n: number, payload: Record<string, unknown> = {}): AuditEvent => ({
  ledger,
  actor: `tester@dept-${n % 3}`,
  action: 'test.appended',
  subjectType: 'Test',
  subjectId: String(n),
  parties: [`dept-${n % 3}`],
  payload: { n, ...payload },
});

async function appendMany(ledger: string, count: number, checkpointEach = false): Promise<void> {
  for (let n = 1; n <= count; n++) {
    await db.transaction((tx) => appendAuditEntries(tx, [event(ledger, n)]));
    if (checkpointEach) await audit.checkpoint(ledger);
  }
}

/** As a superuser with every trigger off: what someone who owns the server could do. */
async function tamper(sql: (tx: EntityManager) => Promise<unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    // The constraint that binds the cached payload text holds with triggers off: the owner drops it first.
    await tx.query(`ALTER TABLE audit_entry DROP CONSTRAINT IF EXISTS audit_entry_payload_cached`);
    await sql(tx);
  });
}

async function verifyChainOnly(ledger: string) {
  const verifier = new LedgerVerifier(ledger, []);
  for await (const batch of new AuditRepository(db).stream(ledger)) {
    for (const e of batch) if (!verifier.push(e)) return verifier.finish();
  }
  return verifier.finish();
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  audit = new AuditService(db, new AuditKeys(privateKey, [publicKey]));
});

afterAll(() => database.drop());

describe('append', () => {
  it('computes at insert the hash recomputed from the row as read back', async () => {
    const payload = { nested: { z: 1, a: [1.5, 'x', null, true] }, text: '医疗 "records" \n', big: 2 ** 52, tiny: 1e-7 };
    const [written] = await db.transaction((tx) => appendAuditEntries(tx, [event('roundtrip', 1, payload)]));
    const [read] = await audit
      .log({ mayReadWholeLedgers: () => true } as never, 'roundtrip', 0, 10)
      .then((p) => p.items.map((i) => i.node));
    expect(read).toEqual(written);
    expect(entryHash(read)).toBe(read.hash);
  });

  it('leaves no entry when the business transaction rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await appendAuditEntries(tx, [event('rollback', 1)]);
        throw new Error('business write failed');
      }),
    ).rejects.toThrow('business write failed');
    expect(await db.query(`SELECT * FROM audit_entry WHERE ledger = 'rollback'`)).toEqual([]);
  });

  it('refuses to append outside a transaction', async () => {
    await expect(appendAuditEntries(db.manager, [event('outside', 1)])).rejects.toThrow(/inside the transaction/);
  });

  it('refuses, in the database, an entry that does not extend the chain', async () => {
    await appendMany('links', 3);
    const forged = sealEntry(event('links', 9), 5, 'f'.repeat(64), new Date());
    await expect(
      db.query(
        `INSERT INTO audit_entry (${AUDIT_ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        auditEntryValues(forged),
      ),
    ).rejects.toThrow(/does not extend its chain/);
  });
});

describe('immutability, enforced by PostgreSQL', () => {
  beforeAll(async () => {
    await appendMany('immutable', 3);
    await audit.checkpoint('immutable');
  });

  it.each([
    ['UPDATE', `UPDATE audit_entry SET actor = 'mallory' WHERE ledger = 'immutable'`],
    ['DELETE', `DELETE FROM audit_entry WHERE ledger = 'immutable'`],
    ['TRUNCATE', `TRUNCATE audit_entry`],
    ['UPDATE of a checkpoint', `UPDATE audit_checkpoint SET root_hash = repeat('0', 64)`],
    ['TRUNCATE of checkpoints', `TRUNCATE audit_checkpoint`],
  ])('the owner is refused %s', async (_name, sql) => {
    await expect(db.query(sql)).rejects.toThrow(/append-only/);
  });

  it.each([
    ['UPDATE', `UPDATE audit_entry SET actor = 'mallory' WHERE ledger = 'immutable'`],
    ['DELETE', `DELETE FROM audit_entry WHERE ledger = 'immutable'`],
    ['TRUNCATE', `TRUNCATE audit_entry`],
  ])('the application role is refused %s by its privileges', async (_name, sql) => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        await tx.query(sql);
      }),
    ).rejects.toThrow(/permission denied/);
  });

  it('the application role may append and read', async () => {
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL ROLE exchange_app');
      await appendAuditEntries(tx, [event('immutable', 4)]);
      expect((await tx.query(`SELECT count(*)::int AS n FROM audit_entry WHERE ledger = 'immutable'`))[0].n).toBe(4);
    });
  });
});

describe('tampering, as a superuser with triggers disabled', () => {
  const SIZE = 20;
  let n = 0;
  const fresh = async () => {
    const ledger = `tamper-${++n}`;
    await appendMany(ledger, SIZE, true);
    return ledger;
  };
  const entryAt = (ledger: string, seq: number) =>
    audit.log({ mayReadWholeLedgers: () => true } as never, ledger, seq - 1, 1).then((p) => p.items[0].node);

  it.each([
    [
      'a changed payload',
      7,
      /hash-mismatch/,
      (l: string) => tamper((tx) => tx.query(`UPDATE audit_entry SET payload = '{"n": 700}' WHERE ledger = $1 AND seq = 7`, [l])),
    ],
    [
      'a changed hash',
      7,
      /hash-mismatch/,
      (l: string) => tamper((tx) => tx.query(`UPDATE audit_entry SET hash = repeat('a', 64) WHERE ledger = $1 AND seq = 7`, [l])),
    ],
    ['a deleted row', 7, /gap/, (l: string) => tamper((tx) => tx.query(`DELETE FROM audit_entry WHERE ledger = $1 AND seq = 7`, [l]))],
    [
      'swapped rows',
      7,
      /broken-link/,
      (l: string) =>
        tamper(async (tx) => {
          await tx.query(`UPDATE audit_entry SET seq = 1000007 WHERE ledger = $1 AND seq = 7`, [l]);
          await tx.query(`UPDATE audit_entry SET seq = 7 WHERE ledger = $1 AND seq = 8`, [l]);
          await tx.query(`UPDATE audit_entry SET seq = 8 WHERE ledger = $1 AND seq = 1000007`, [l]);
        }),
    ],
  ])('%s is found at seq %i by the chain alone', async (_name, seq, reason, change) => {
    const ledger = await fresh();
    await change(ledger);
    const result = await audit.verifyLedger(ledger);
    expect(result).toMatchObject({ ok: false, firstBadSeq: seq });
    expect(result.reason).toMatch(reason);
    expect(await verifyChainOnly(ledger)).toMatchObject({ ok: false, firstBadSeq: seq });
  });

  it('an inserted row (later rows shifted) is refused as a fork, and found at its seq once forced in', async () => {
    const ledger = await fresh();
    const six = await entryAt(ledger, 6);
    const insertAt7 = (prevHash: string) => async (tx: EntityManager) => {
      const forged = sealEntry(event(ledger, 99), 7, prevHash, new Date());
      await tx.query(`UPDATE audit_entry SET seq = seq + 1000000 WHERE ledger = $1 AND seq >= 7`, [ledger]);
      await tx.query(`UPDATE audit_entry SET seq = seq - 1000000 + 1 WHERE ledger = $1 AND seq > 1000000`, [ledger]);
      // With triggers off, the forger gives the ledger's district too (the trigger that fills it does not run).
      await tx.query(
        `INSERT INTO audit_entry (${AUDIT_ENTRY_COLUMNS}, district_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, (SELECT district_id FROM audit_entry WHERE ledger = $1 AND seq = 6))`,
        auditEntryValues(forged),
      );
    };
    // Two entries claiming the same predecessor: UNIQUE (ledger, prev_hash, district_id) refuses it even with triggers off.
    await expect(tamper(insertAt7(six.hash))).rejects.toThrow(/audit_entry_ledger_prev_hash_key/);
    await tamper(insertAt7('c'.repeat(64)));
    expect(await verifyChainOnly(ledger)).toMatchObject({ ok: false, firstBadSeq: 7, reason: expect.stringMatching(/broken-link/) });
    expect(await audit.verifyLedger(ledger)).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  it('a tail truncated after a checkpoint passes the chain check, and not the checkpoint', async () => {
    const ledger = await fresh();
    await tamper((tx) => tx.query(`DELETE FROM audit_entry WHERE ledger = $1 AND seq >= 15`, [ledger]));
    expect(await verifyChainOnly(ledger)).toMatchObject({ ok: true, checked: 14 });
    expect(await audit.verifyLedger(ledger)).toMatchObject({ ok: false, firstBadSeq: 15, reason: expect.stringMatching(/truncated/) });
  });

  it('a row rewritten with every later hash recomputed passes the chain check; the checkpoints and an earlier receipt catch it', async () => {
    const ledger = await fresh();
    const receipt = await audit.receiptFor(await entryAt(ledger, 7));
    expect(verifyReceipt(receipt, publicKey)).toEqual({ ok: true });
    await tamper(async (tx) => {
      await rewriteLedgerFrom(tx, ledger, 7, { n: 7, rewritten: 'to someone else' });
    });
    expect(await verifyChainOnly(ledger)).toMatchObject({ ok: true, checked: SIZE });
    expect(await audit.verifyLedger(ledger)).toMatchObject({ ok: false, firstBadSeq: 7, reason: expect.stringMatching(/rewritten/) });
    // The department's receipt still proves what entry 7 was; the log no longer has it.
    expect(verifyReceipt(receipt, publicKey)).toEqual({ ok: true });
    expect((await entryAt(ledger, 7)).hash).not.toBe(receipt.entryHash);
  });

  it('a checkpoint signed by an unknown key is refused', async () => {
    const ledger = await fresh();
    const stranger = new AuditService(db, new AuditKeys(generateKeyPairSync('ed25519').privateKey, []));
    await db.transaction((tx) => appendAuditEntries(tx, [event(ledger, 21)]));
    await stranger.checkpoint(ledger);
    expect(await audit.verifyLedger(ledger)).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed by a known key/) });
  });
});

describe('concurrent appends', () => {
  const CLIENTS = 32;
  const APPENDS = 100;

  it(`keep one chain: ${CLIENTS} clients x ${APPENDS} appends on one ledger, then across four`, async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has a single session, so appends cannot run concurrently there');
      return;
    }
    const pool = await database.dataSource();
    const run = (ledgerOf: (client: number) => string) =>
      Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let i = 0; i < APPENDS; i++) await pool.transaction((tx) => appendAuditEntries(tx, [event(ledgerOf(c), c * 1000 + i)]));
        }),
      );
    await run(() => 'busy');
    await run((c) => `spread-${c % 4}`);
    const counts = await db.query<{ ledger: string; n: number; max: string }[]>(
      `SELECT ledger, count(*)::int AS n, max(seq) AS max FROM audit_entry WHERE ledger = 'busy' OR ledger LIKE 'spread-%' GROUP BY ledger ORDER BY ledger`,
    );
    expect(counts.find((r) => r.ledger === 'busy')?.n).toBe(CLIENTS * APPENDS);
    expect(counts.reduce((s, r) => s + r.n, 0)).toBe(2 * CLIENTS * APPENDS);
    for (const { ledger, n, max } of counts) {
      expect(Number(max)).toBe(n);
      expect(await audit.verifyLedger(ledger)).toMatchObject({ ok: true, checked: n });
    }
  });
});
