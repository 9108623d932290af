import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { generatePilotFiles, PILOT_DEFAULTS, seedPilot } from './pilot-seed.js';

let database: TestDatabase;
let db: DataSource;
const small = { ...PILOT_DEFAULTS, files: 600, permissions: 120 };

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(() => database.drop());

const counts = async () =>
  (
    await db.query<Record<string, number>[]>(
      `SELECT (SELECT count(*) FROM data_file)::int AS files, (SELECT count(*) FROM data_field)::int AS fields,
              (SELECT count(*) FROM permission)::int AS permissions, (SELECT count(*) FROM audit_entry WHERE ledger = 'beijing')::int AS entries`,
    )
  )[0];

describe('the pilot data set', () => {
  it('is the same for the same seed, and another for another seed', () => {
    const departments = [
      { id: '00000000-0000-4000-8000-000000000001', code: 'beijing-health-commission', district_id: 'd', district_code: 'beijing' },
    ];
    const a = generatePilotFiles(departments, small);
    expect(generatePilotFiles(departments, small)).toEqual(a);
    expect(generatePilotFiles(departments, { ...small, seed: 7 })).not.toEqual(a);
  });

  it('loads realistic files, fields and grants, each grant audited, and loading again adds nothing', async () => {
    const first = await seedPilot(db, small);
    expect(first).toMatchObject({ filesInserted: 600, grantsInserted: 120 });
    const after = await counts();
    expect(after.files).toBe(600);
    expect(after.permissions).toBe(120);
    // A registration per file, a grant each, and a revocation for each revoked one.
    const [{ revoked }] = await db.query(`SELECT count(*)::int AS revoked FROM permission WHERE revoked_at IS NOT NULL`);
    expect(after.entries).toBe(600 + 120 + revoked);
    const [{ registered }] = await db.query(
      `SELECT count(DISTINCT e.subject_id)::int AS registered FROM audit_entry e JOIN data_file f ON f.id::text = e.subject_id
        WHERE e.ledger = 'beijing' AND e.action = 'file.registered' AND e.subject_type = 'DataFile'`,
    );
    expect(registered).toBe(600);

    const [shape] = await db.query(
      `SELECT min(n)::int AS min, max(n)::int AS max, bool_or(s) AS some_sensitive
         FROM (SELECT count(*) AS n, bool_or(sensitive) AS s FROM data_field GROUP BY file_id) x`,
    );
    expect(shape.min).toBeGreaterThanOrEqual(5);
    expect(shape.max).toBeLessThanOrEqual(30);
    expect(shape.some_sensitive).toBe(true);
    const mix = await db.query(`SELECT classification, count(*)::int AS n FROM data_file GROUP BY classification`);
    expect(mix.map((m: { classification: string }) => m.classification).sort()).toEqual([
      'CONFIDENTIAL',
      'INTERNAL',
      'PUBLIC',
      'RESTRICTED',
    ]);
    const [{ scopes, limited, expired }] = await db.query(
      `SELECT count(*) FILTER (WHERE file_id IS NULL)::int AS scopes, count(*) FILTER (WHERE fields IS NOT NULL)::int AS limited,
              count(*) FILTER (WHERE expires_at < now())::int AS expired FROM permission`,
    );
    expect([scopes > 0, limited > 0, expired > 0, revoked > 0]).toEqual([true, true, true, true]);
    // Loaded with their files: every grant on a file was decided on its first schema; a scope grant names no version.
    const versions = await db.query(
      `SELECT file_id IS NULL AS scope, schema_version, count(*)::int AS n FROM permission GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(versions).toEqual([
      { scope: false, schema_version: 1, n: 120 - scopes },
      { scope: true, schema_version: null, n: scopes },
    ]);

    const again = await seedPilot(db, small);
    expect(again).toMatchObject({ filesInserted: 0, grantsInserted: 0 });
    expect(await counts()).toEqual(after);
  });
});
