import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditKeys, AuditService } from '@app/audit';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { planCity } from './city-plan.js';
import { copyRows } from '@app/database';
import { seedCity } from './city-seed.js';

let database: TestDatabase;
let db: DataSource;
const SCALE = 0.005;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(() => database.drop());

/** COPY FROM STDIN needs a PostgreSQL server: the embedded database's socket does not carry it (seed --city says so). */
function skipOnEmbedded(): boolean {
  if (database.embedded) console.warn('skipped: COPY needs a PostgreSQL server; the embedded database serves the pilot, not the city');
  return database.embedded;
}

/** Files, grants and audit entries of each district, and the city's grants that cross a district line. */
async function census() {
  const perDistrict = await db.query<{ code: string; files: number; grants: number; revoked: number; entries: number }[]>(
    `SELECT di.code,
            (SELECT count(*) FROM data_file f WHERE f.district_id = di.id)::int AS files,
            (SELECT count(*) FROM permission p WHERE p.district_id = di.id)::int AS grants,
            (SELECT count(*) FROM permission p WHERE p.district_id = di.id AND p.revoked_at IS NOT NULL)::int AS revoked,
            (SELECT count(*) FROM audit_entry e WHERE e.ledger = di.code)::int AS entries
       FROM district di ORDER BY di.code`,
  );
  const [crossing] = await db.query<{ cross: number; within: number; fields: number }[]>(
    `SELECT count(*) FILTER (WHERE g.district_id <> p.district_id)::int AS cross,
            count(*) FILTER (WHERE g.district_id = p.district_id)::int AS within,
            (SELECT count(*) FROM data_field)::int AS fields
       FROM permission p JOIN department g ON g.id = p.grantee_department_id`,
  );
  return { perDistrict, crossing };
}

describe('COPY rows', () => {
  it('carry tabs, newlines, backslashes, quotes, braces and NULLs through unchanged', async () => {
    if (skipOnEmbedded()) return;
    const runner = db.createQueryRunner();
    try {
      await runner.connect();
      await runner.query(`CREATE TEMP TABLE copy_probe (t text, a text[], n integer, b boolean)`);
      const awkward = ['a\tb', 'line\nbreak\r', 'back\\slash', 'say "hi"', '{braces}, commas', '\\N', ''];
      const rows = awkward.map((t, i) => [t, [t, 'x,y', 'NULL'], i, i % 2 === 0] as const);
      await copyRows((await runner.connect()) as never, 'copy_probe', ['t', 'a', 'n', 'b'], [...rows, [null, [], null, null]]);
      const back = await runner.query(`SELECT t, a, n, b FROM copy_probe ORDER BY n NULLS LAST`);
      expect(back).toEqual([...rows.map(([t, a, n, b]) => ({ t, a, n, b })), { t: null, a: [], n: null, b: null }]);
    } finally {
      await runner.release();
    }
  });
});

describe('the city data set (seed --city)', () => {
  it('splits the city over the districts: the pilot at its own size, the largest districts holding the most', () => {
    const plans = planCity(['beijing', 'chaoyang', 'yanqing', 'newtown'], 1);
    expect(plans.find((p) => p.code === 'beijing')).toMatchObject({ files: 44_000, permissions: 8_000, pilot: true });
    const size = (code: string) => plans.find((p) => p.code === code)!.files;
    expect(size('chaoyang')).toBeGreaterThan(size('newtown'));
    expect(size('newtown')).toBeGreaterThan(size('yanqing'));
    expect(plans.reduce((s, p) => s + p.files, 0)).toBeCloseTo(750_000, -1);
  });

  it('loads every district with its files, cross-district grants and audited entries; a second run adds nothing; every ledger verifies', async () => {
    if (skipOnEmbedded()) return;
    const first = await seedCity(db, { scale: SCALE, jobs: 2 });
    const { perDistrict, crossing } = await census();
    const plans = planCity(
      perDistrict.map((d) => d.code),
      SCALE,
    );
    expect(perDistrict.length).toBeGreaterThanOrEqual(17);
    for (const plan of plans) {
      const got = perDistrict.find((d) => d.code === plan.code)!;
      expect({ code: got.code, files: got.files, grants: got.grants }).toEqual({
        code: plan.code,
        files: plan.files,
        grants: plan.permissions,
      });
      // One registration per file, one entry per grant and one more per revoked grant (onboarding went to the platform ledger).
      expect(got.entries).toBe(got.files + got.grants + got.revoked);
    }
    expect(first.filesInserted).toBe(first.files);
    expect(first.grantsInserted).toBe(first.grants);
    // Grants reach across district lines, and most of a district's stay within it.
    expect(crossing.cross).toBeGreaterThan(first.grants * 0.25);
    expect(crossing.within).toBeGreaterThan(first.grants * 0.25);
    expect(crossing.fields).toBeGreaterThan(first.files * 5);
    const [{ mixes }] = await db.query(
      `SELECT count(DISTINCT share)::int AS mixes FROM (
         SELECT round(100.0 * count(*) FILTER (WHERE classification = 'PUBLIC') / count(*) / 5) AS share FROM data_file GROUP BY district_id) x`,
    );
    expect(mixes).toBeGreaterThan(1);

    const again = await seedCity(db, { scale: SCALE, jobs: 2 });
    expect(again).toMatchObject({ filesInserted: 0, grantsInserted: 0 });
    expect(await census()).toEqual({ perDistrict, crossing });

    const signingKey = generateKeyPairSync('ed25519').privateKey;
    const audit = new AuditService(db, new AuditKeys(signingKey, []));
    for (const { code } of perDistrict) {
      const result = await audit.verifyLedger(code);
      expect({ code, ok: result.ok, reason: result.reason }).toEqual({ code, ok: true, reason: null });
      expect(result.checked).toBe(perDistrict.find((d) => d.code === code)!.entries);
    }
  });
});
