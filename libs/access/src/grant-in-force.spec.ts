import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createTestDatabase, indexEntriesRead, type TestDatabase } from '@app/testing';
import { grantInForce, grantInForceSql, type GrantPeriod } from './grant-in-force.js';

let database: TestDatabase;
let db: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

/** Periods around minute 10, with every edge: start, expiry and revocation before, at and after the instants asked. */
const periods: GrantPeriod[] = [];
for (const from of [5, 10, 15]) {
  for (const expires of [null, 8, 10, 12]) {
    for (const revoked of [null, 7, 10, 11]) {
      periods.push({
        validFrom: at(from),
        expiresAt: expires === null ? null : at(expires),
        revokedAt: revoked === null ? null : at(revoked),
      });
    }
  }
}
const instants = [at(4), at(7), at(10), at(11), at(12), at(20)];

describe('a grant in force: one SQL predicate and one function', () => {
  it('give the same answer for every period and instant, edges included', async () => {
    const json = JSON.stringify(periods.map((p, i) => ({ i, valid_from: p.validFrom, expires_at: p.expiresAt, revoked_at: p.revokedAt })));
    const rows: { i: number; t: number; sql: boolean }[] = [];
    for (const [t, instant] of instants.entries()) {
      const answers = await db.query<{ i: number; sql: boolean }[]>(
        `SELECT p.i, ${grantInForceSql('p', '$2')} AS sql
           FROM jsonb_to_recordset($1::jsonb) AS p(i int, valid_from timestamptz, expires_at timestamptz, revoked_at timestamptz)`,
        [json, instant],
      );
      rows.push(...answers.map((a) => ({ ...a, t })));
    }
    expect(rows).toHaveLength(periods.length * instants.length);
    const disagreements = rows.filter((r) => r.sql !== grantInForce(periods[r.i], instants[r.t]));
    expect(disagreements).toEqual([]);
    // Both sides are exercised: some periods are in force, some are not.
    expect(rows.some((r) => r.sql)).toBe(true);
    expect(rows.some((r) => !r.sql)).toBe(true);
  });

  it('takes the instant as a named or a positional parameter', () => {
    expect(grantInForceSql('p', 'at')).toContain('p.valid_from <= :at');
    expect(grantInForceSql('g', '$3')).toContain('coalesce(g.revoked_at');
    expect(grantInForceSql('g', '$3')).toContain('> $3');
  });

  it('is not in force at the revocation instant, nor at the expiry one', () => {
    expect(grantInForce({ validFrom: at(0), expiresAt: null, revokedAt: at(10) }, at(10))).toBe(false);
    expect(grantInForce({ validFrom: at(0), expiresAt: at(10), revokedAt: null }, at(10))).toBe(false);
    expect(grantInForce({ validFrom: at(10), expiresAt: null, revokedAt: null }, at(10))).toBe(true);
  });

  it("is a range of the grantee's index: a department's revoked and expired history is not read", async () => {
    const [department] = await db.query<{ id: string; district_id: string }[]>(
      `SELECT id, district_id FROM department ORDER BY code LIMIT 1`,
    );
    // 3 scope grants in force, 3,000 revoked and 1,000 expired (grants end no sooner than they start).
    await db.query(
      `INSERT INTO permission (district_id, scope_category, scope_max_classification, grantee_department_id, action, purpose,
                               valid_from, expires_at, granted_by, revoked_at, revoked_by)
       SELECT $1, 'history', 'PUBLIC', $2, 'READ', 'audit of old grants', now() - interval '30 days',
              CASE WHEN g BETWEEN 4 AND 1003 THEN now() - interval '1 day' ELSE now() + interval '30 days' END, 'steward@test',
              CASE WHEN g > 1003 THEN now() - interval '2 days' END, CASE WHEN g > 1003 THEN 'steward@test' END
         FROM generate_series(1, 4003) AS g`,
      [department.district_id, department.id],
    );
    await db.query('ANALYZE permission');
    const [
      {
        'QUERY PLAN': [plan],
      },
    ] = await db.query<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }[]>(
      `EXPLAIN (ANALYZE, FORMAT JSON) SELECT p.id FROM permission p WHERE p.grantee_department_id = $1 AND ${grantInForceSql('p', '$2')}`,
      [department.id, new Date()],
    );
    const scan = plan.Plan;
    expect(scan['Actual Rows']).toBe(3);
    expect(scan['Index Name']).toBe('permission_grantee_in_force_idx');
    expect(scan['Rows Removed by Filter'] ?? 0).toBe(0);
  });

  it("is a range of the file's index too: the approval's gate reads the grantee's grants on the file in force, not the file's history", async () => {
    const [department, other] = await db.query<{ id: string; district_id: string }[]>(
      `SELECT id, district_id FROM department ORDER BY code LIMIT 2`,
    );
    const [{ id: fileId }] = await db.query<{ id: string }[]>(
      `INSERT INTO data_file (district_id, code, title, owner_department_id, classification, category, format, search_vector)
       VALUES ($1, 'hot-file', 'A file asked for again and again', $2, 'RESTRICTED', 'history', 'table', ''::tsvector) RETURNING id`,
      [other.district_id, other.id],
    );
    // Each past exchange left an EXCHANGE grant, revoked after its delivery: 3,000 of them, and 1,000 of another grantee.
    await db.query(
      `INSERT INTO permission (district_id, file_id, grantee_department_id, action, fields, purpose, valid_from, granted_by,
                               revoked_at, revoked_by)
       SELECT $1, $2, CASE WHEN g <= 3000 THEN $3::uuid ELSE $4::uuid END, 'EXCHANGE', '{age}', 'exchange ' || g, now() - interval '30 days',
              'steward@test', now() - interval '1 day', 'steward@test'
         FROM generate_series(1, 4000) AS g`,
      [other.district_id, fileId, department.id, other.id],
    );
    // As in a city, most files have a grant or two: by its statistics, a file's grants are few.
    await db.query(
      `WITH files AS (
         INSERT INTO data_file (district_id, code, title, owner_department_id, classification, category, format, search_vector)
         SELECT $1, 'quiet-file-' || g, 'A quiet file', $2, 'RESTRICTED', 'history', 'table', ''::tsvector FROM generate_series(1, 20000) AS g
         RETURNING district_id, id)
       INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by)
       SELECT f.district_id, f.id, $2, 'READ', 'reading', 'steward@test' FROM files f`,
      [other.district_id, other.id],
    );
    await db.query('ANALYZE permission');
    // Counted by the database in the transaction: the index entries the gate's calls read. Past five calls it plans generically.
    const read = await db.transaction(async (tx) => {
      const entriesRead = () => indexEntriesRead(tx, 'permission');
      const before = await entriesRead();
      for (let i = 0; i < 8; i += 1) {
        const [{ same }] = await tx.query(`SELECT permission_same_in_force($1, $2, $3, 'EXCHANGE', '{age}', 'exchange 1') AS same`, [
          other.district_id,
          fileId,
          department.id,
        ]);
        expect(same).toBe(false);
      }
      return (await entriesRead()) - before;
    });
    expect(read).toBe(0);
  });
});
