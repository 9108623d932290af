/**
 * The audit tables carry the district of their ledger (migration
 * AuditLedgerDistrict): the database fills it from the ledger on every
 * insert, whatever the writer, and the migration filled the rows written
 * before it, without touching a hashed field.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditLog, PLATFORM_LEDGER, sealEntry, AUDIT_ENTRY_COLUMNS, type AuditEvent } from '@app/audit';
import { AuditRepository } from '../libs/audit/src/audit.repository.js';
import { LedgerVerifier } from '../libs/audit/src/ledger-verifier.js';
import { AuditLedgerDistrict1796700000000, NO_DISTRICT } from '../migrations/1796700000000-AuditLedgerDistrict.js';
import { AuditEntryOneTrigger1797200000000 } from '../migrations/1797200000000-AuditEntryOneTrigger.js';
import { auditEntryValues, createTestDatabase, type TestDatabase } from '@app/testing';
import { World } from './world.js';

let database: TestDatabase;
let db: DataSource;
let district: { id: string; code: string };

const event = (ledger: string, n: number): AuditEvent => ({
  ledger,
  actor: 'tester',
  action: 'test.step',
  subjectType: 'Test',
  subjectId: String(n),
  parties: [],
  payload: { n },
});

const append = (events: AuditEvent[]) => db.transaction((tx) => new AuditLog().append(tx, events));

/** Every row of the three tables: its ledger, key, district and (for entries) hash. */
const rows = () =>
  db.query<{ t: string; ledger: string; k: string; district_id: string; hash: string | null }[]>(
    `SELECT 'entry' AS t, ledger, seq::text AS k, district_id, hash FROM audit_entry
     UNION ALL SELECT 'checkpoint', ledger, size::text, district_id, root_hash FROM audit_checkpoint
     UNION ALL SELECT 'node', ledger, level || '/' || idx, district_id, encode(hash, 'hex') FROM audit_merkle_node
     ORDER BY 1, 2, 3`,
  );

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  district = await new World(db).district('ald-north');
  await append([event(district.code, 1), event(district.code, 2)]);
  await append([event('ald-nowhere', 1)]);
  await append([event(PLATFORM_LEDGER, 1)]);
});

afterAll(() => database?.drop());

describe("the audit ledger's district", () => {
  it("is the ledger's district for a district's ledger, and the nil id for the platform's and any other", async () => {
    const byLedger = await db.query<{ ledger: string; districts: string[] }[]>(
      `SELECT ledger, array_agg(DISTINCT district_id::text) AS districts FROM audit_entry
        WHERE ledger = ANY($1) GROUP BY ledger ORDER BY ledger`,
      [[district.code, 'ald-nowhere', PLATFORM_LEDGER]],
    );
    expect(byLedger).toEqual([
      { ledger: district.code, districts: [district.id] },
      { ledger: 'ald-nowhere', districts: [NO_DISTRICT] },
      { ledger: PLATFORM_LEDGER, districts: [NO_DISTRICT] },
    ]);
  });

  it("is not the writer's to choose: an insert naming another district gets the ledger's", async () => {
    // A Merkle node, which the owner may insert directly (entries pass the append functions' checks too),
    // in a transaction rolled back.
    const runner = db.createQueryRunner();
    await runner.startTransaction();
    try {
      const [row] = await runner.query(
        `INSERT INTO audit_merkle_node (ledger, level, idx, hash, district_id) VALUES ($1, 8, 0, $2, $3) RETURNING district_id`,
        [district.code, Buffer.alloc(32), NO_DISTRICT],
      );
      expect(row.district_id).toBe(district.id);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('is filled by the migration for rows written before it, no hashed field changed, and the log stays append-only', async () => {
    const before = await rows();
    expect(before.filter((r) => r.district_id === district.id).map((r) => r.t)).toEqual(['entry', 'entry']);
    const migration = new AuditLedgerDistrict1796700000000();
    // A later migration fills the district in the link trigger: it is reverted first and applied again last, as a revert would.
    const later = new AuditEntryOneTrigger1797200000000();
    const step = async (run: (runner: ReturnType<DataSource['createQueryRunner']>) => Promise<void>) => {
      const runner = db.createQueryRunner();
      await runner.startTransaction();
      try {
        await run(runner);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
    };
    await step((runner) => later.down(runner));
    await step((runner) => migration.down(runner));
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name LIKE 'audit_%' AND column_name = 'district_id'`,
    );
    expect(n).toBe(0);
    await step((runner) => migration.up(runner));
    await step((runner) => later.up(runner));
    expect(await rows()).toEqual(before);
    await expect(db.query(`UPDATE audit_entry SET district_id = $1`, [NO_DISTRICT])).rejects.toThrow(/append-only/);
    // New entries extend the chain as before.
    const [next] = await append([event(district.code, 3)]);
    expect(next.seq).toBe(3);
  });

  it('with triggers off, a fork under another district is not refused by a key (no key spans districts), and the chain check finds it', async () => {
    await append([1, 2, 3].map((n) => event('ald-fork', n)));
    const [two] = await db.query<{ hash: string }[]>(`SELECT hash FROM audit_entry WHERE ledger = 'ald-fork' AND seq = 2`);
    const forged = sealEntry(event('ald-fork', 99), 3, two.hash, new Date());
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(
        `INSERT INTO audit_entry (${AUDIT_ENTRY_COLUMNS}, district_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [...auditEntryValues(forged), district.id],
      );
    });
    const verifier = new LedgerVerifier('ald-fork', []);
    let ok = true;
    for await (const batch of new AuditRepository(db).stream('ald-fork')) for (const e of batch) ok &&= verifier.push(e);
    expect(ok).toBe(false);
    expect(verifier.finish()).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it('stays what the ledger began with: a district onboarded after its ledger began does not split the ledger', async () => {
    await append([event('ald-late', 1)]);
    const late = await new World(db).district('ald-late');
    await append([event('ald-late', 2)]);
    const [{ districts }] = await db.query<{ districts: string[] }[]>(
      `SELECT array_agg(DISTINCT district_id::text) AS districts FROM audit_entry WHERE ledger = 'ald-late'`,
    );
    expect(districts).toEqual([NO_DISTRICT]);
    expect(late.id).not.toBe(NO_DISTRICT);
  });
});
