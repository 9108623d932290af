import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { FilesRepository } from '../files.repository.js';
import { generatePilotFiles, generatePilotGrants, PILOT_DEFAULTS, seedPilot } from './pilot-seed.js';

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

describe('a pilot file whose code its department already has', () => {
  it('is skipped with its grants, and neither is audited', async () => {
    const other = await createTestDatabase();
    try {
      const db2 = await other.dataSource();
      const everyDepartment = await db2.query(
        `SELECT d.id, d.code, d.district_id, di.code AS district_code FROM department d JOIN district di ON di.id = d.district_id ORDER BY d.code`,
      );
      const files = generatePilotFiles(
        everyDepartment.filter((d: { district_code: string }) => d.district_code === small.districtCode),
        small,
      );
      const grants = generatePilotGrants(files, everyDepartment, small);
      // A steward registered, first and as another file, the code of a pilot file that the pilot grants on.
      const taken = files.find((f) => grants.some((g) => g.file_id === f.id))!;
      await db2.transaction((tx) => new FilesRepository(db2).insertMany(tx, [{ ...taken, id: undefined, title: 'Registered first' }]));
      const loaded = await seedPilot(db2, small);
      expect(loaded.filesInserted).toBe(599);
      const [row] = await db2.query(
        `SELECT (SELECT count(*) FROM audit_entry WHERE subject_id = $1::text)::int AS about_skipped,
                (SELECT count(*) FROM permission WHERE file_id = $1::uuid)::int AS grants_on_skipped,
                (SELECT count(*) FROM audit_entry e WHERE e.action = 'file.registered'
                    AND NOT EXISTS (SELECT 1 FROM data_file f WHERE f.id::text = e.subject_id))::int AS entries_without_file`,
        [taken.id],
      );
      expect(row).toEqual({ about_skipped: 0, grants_on_skipped: 0, entries_without_file: 0 });
      expect(loaded.grants).toBe(grants.filter((g) => g.file_id !== taken.id).length);
      expect(loaded.grantsInserted).toBe(loaded.grants);
    } finally {
      await other.drop();
    }
  });
});
