import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { auditEntryValues, createTestDatabase, type TestDatabase } from '@app/testing';
import { AUDIT_ENTRY_COLUMNS } from './audit-append.js';
import { appendAuditEntries } from './audit-append.js';
import { AuditKeys, AuditService } from './audit.service.js';
import { canonicalEntry, sealEntry, sha256Hex, type AuditEvent } from './hash-chain.js';

/**
 * Entries enter only through audit_append / audit_append_many, which hash the
 * canonical text in the database; the link trigger refuses a hash that is not
 * the SHA-256 of that text, or a text that does not describe the row.
 */
let database: TestDatabase;
let db: DataSource;
let audit: AuditService;
const { privateKey } = generateKeyPairSync('ed25519');

const event = (ledger: string, n: number, payload: Record<string, unknown> = {}): AuditEvent => ({
  ledger,
  actor: 'tester@dept-1',
  action: 'test.appended',
  subjectType: 'Test',
  subjectId: String(n),
  parties: ['dept-1'],
  payload: { n, ...payload },
});

const INSERT = `INSERT INTO audit_entry (${AUDIT_ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

/** A correctly sealed next entry of the ledger, as row values. */
async function nextRow(tx: EntityManager, ledger: string, n: number) {
  const [tail] = await tx.query<{ seq: string; hash: string }[]>(
    `SELECT seq, hash FROM audit_entry WHERE ledger = $1 ORDER BY seq DESC LIMIT 1`,
    [ledger],
  );
  const e = sealEntry(event(ledger, n), Number(tail.seq) + 1, tail.hash, new Date());
  return { entry: e, values: auditEntryValues(e) };
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  audit = new AuditService(db, new AuditKeys(privateKey, [createPublicKey(privateKey)]));
  for (let n = 1; n <= 3; n++) await db.transaction((tx) => appendAuditEntries(tx, [event('path', n)]));
});

afterAll(() => database.drop());

describe('the one way in', () => {
  it('the application role may not INSERT an entry, only call the append functions', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        await tx.query(INSERT, (await nextRow(tx, 'path', 4)).values);
      }),
    ).rejects.toThrow(/permission denied/);
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL ROLE exchange_app');
      await appendAuditEntries(tx, [event('path', 4), event('path', 5)]);
    });
    expect(await audit.verifyLedger('path')).toMatchObject({ ok: true, checked: 5 });
  });

  it('even the owner cannot INSERT a correctly linked and hashed entry around the append functions', async () => {
    await expect(db.transaction(async (tx) => tx.query(INSERT, (await nextRow(tx, 'path', 6)).values))).rejects.toThrow(
      /not appended through audit_append/,
    );
  });

  it('a correctly linked entry whose hash is not the hash of its canonical text is refused', async () => {
    await expect(
      db.transaction(async (tx) => {
        const { entry, values } = await nextRow(tx, 'path', 6);
        // The text the trigger is given is the entry's; the row claims another hash.
        await tx.query(`SELECT set_config('audit.canonical', $1, true)`, [canonicalEntry(entry)]);
        values[10] = 'e'.repeat(64);
        await tx.query(INSERT, values);
      }),
    ).rejects.toThrow(/hash is not the SHA-256 of its canonical text/);
  });

  it('a canonical text that does not describe the stored row is refused, though its hash is right', async () => {
    await expect(
      db.transaction(async (tx) => {
        const { entry, values } = await nextRow(tx, 'path', 6);
        const other = { ...entry, payload: { n: 6, amount: 1_000_000 } };
        await tx.query(`SELECT set_config('audit.canonical', $1, true)`, [canonicalEntry(other)]);
        values[10] = sealEntry(event('path', 6, { amount: 1_000_000 }), entry.seq, entry.prevHash, new Date(entry.occurredAt)).hash;
        await tx.query(INSERT, values);
      }),
    ).rejects.toThrow(/does not describe it/);
  });

  it('a text that describes the row but is not its canonical form (members in another order) is refused, though its hash is right', async () => {
    await expect(
      db.transaction(async (tx) => {
        const { entry, values } = await nextRow(tx, 'path', 6);
        const { seq, ...rest } = JSON.parse(canonicalEntry(entry)) as Record<string, unknown>;
        const reordered = JSON.stringify({ seq, ...rest });
        expect(reordered).not.toBe(canonicalEntry(entry));
        await tx.query(`SELECT set_config('audit.canonical', $1, true)`, [reordered]);
        values[10] = sha256Hex(reordered);
        await tx.query(INSERT, values);
      }),
    ).rejects.toThrow(/does not describe it/);
  });

  it('an entry whose payload the database cannot write canonically (0.1 + 0.2) is checked member by member: appended, verified, and refused when misdescribed', async () => {
    const odd = (n: number) => ({ ...event('odd', n), payload: { n, ratio: 0.1 + 0.2 } });
    await db.transaction((tx) => appendAuditEntries(tx, [odd(1), odd(2)]));
    const [{ payload_jcs }] = await db.query<{ payload_jcs: string | null }[]>(
      `SELECT payload_jcs FROM audit_entry WHERE ledger = 'odd' AND seq = 2`,
    );
    expect(payload_jcs).toBeNull();
    expect(await audit.verifyLedger('odd')).toMatchObject({ ok: true, checked: 2 });
    await expect(
      db.transaction(async (tx) => {
        const [tail] = await tx.query<{ hash: string }[]>(`SELECT hash FROM audit_entry WHERE ledger = 'odd' AND seq = 2`);
        const entry = sealEntry(odd(3), 3, tail.hash, new Date());
        const told = canonicalEntry({ ...entry, payload: { n: 3, ratio: 0.1 + 0.2, extra: true } });
        await tx.query(`SELECT set_config('audit.canonical', $1, true)`, [told]);
        const values = auditEntryValues(entry);
        values[10] = sha256Hex(told);
        await tx.query(INSERT, values);
      }),
    ).rejects.toThrow(/does not describe it/);
  });

  it('audit_append refuses a text that disagrees with the fields it stores', async () => {
    await expect(
      db.transaction((tx) =>
        tx.query(
          `SELECT * FROM audit_append('path', now(), 'a', 'b', 'C', '1', '{}', '{"n": 1}', '{"action":"b","actor":"a","ledger":"path","occurredAt":"x","parties":[],"payload":{"n":2},"prevHash":"', ',"subjectId":"1","subjectType":"C"}')`,
        ),
      ),
    ).rejects.toThrow(/does not describe it/);
  });
});

describe('occurred_at precision', () => {
  it('holds whole milliseconds, even for the owner with triggers off: a 0.4 ms change is refused', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query(`UPDATE audit_entry SET occurred_at = occurred_at + interval '0.4 milliseconds' WHERE ledger = 'path' AND seq = 2`);
      }),
    ).rejects.toThrow(/audit_entry_occurred_at_ms/);
    const [row] = await db.query<{ us: number }[]>(
      `SELECT extract(microseconds FROM occurred_at)::int % 1000 AS us FROM audit_entry WHERE ledger = 'path' AND seq = 2`,
    );
    expect(row.us).toBe(0);
  });
});
