/**
 * The schema can be distributed by district (Citus: distribution column
 * `district_id`, `district` and `department` as reference tables) without a
 * rewrite: read from the catalogue of the migrated database. A new table must
 * say which kind it is here, so nobody adds one that cannot be distributed
 * without noticing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** Small, read everywhere, copied to every node. */
const REFERENCE = ['district', 'department'];
/** Split by district_id: each district's rows on one node, joined there. */
const DISTRIBUTED = ['data_file', 'data_field', 'data_version', 'data_record', 'permission', 'permission_review', 'exchange'];
/** Keyed by ledger (a district's code, or `platform`), not yet by district_id: see docs/scaling.md. */
const BY_LEDGER = ['audit_entry', 'audit_checkpoint', 'audit_merkle_node'];
/** Stays on the coordinator. */
const LOCAL = ['schema_migration'];

interface Constraint {
  table: string;
  kind: 'p' | 'u' | 'f';
  name: string;
  columns: string[];
  referenced: string | null;
  referencedColumns: string[];
}

let database: TestDatabase;
let db: DataSource;
let constraints: Constraint[];

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  constraints = await db.query<Constraint[]>(`
    SELECT c.relname AS "table", con.contype AS kind, con.conname AS name,
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
           r.relname AS referenced,
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS "referencedColumns"
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = current_schema()
      LEFT JOIN pg_class r ON r.oid = con.confrelid
     WHERE con.contype IN ('p', 'u', 'f')`);
});

afterAll(async () => {
  await database?.drop();
});

describe('the schema is ready to be distributed by district', () => {
  it('every table is classified: reference, distributed by district, keyed by ledger, or local', async () => {
    const tables = await db.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = current_schema() WHERE c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    expect(tables.map((t) => t.name).sort()).toEqual([...REFERENCE, ...DISTRIBUTED, ...BY_LEDGER, ...LOCAL].sort());
  });

  it('every distributed table has district_id, in its primary key and in every unique constraint', () => {
    const faults = constraints
      .filter((c) => DISTRIBUTED.includes(c.table) && c.kind !== 'f' && !c.columns.includes('district_id'))
      .map((c) => `${c.table}.${c.name} (${c.columns.join(', ')})`);
    expect(faults).toEqual([]);
    for (const table of DISTRIBUTED)
      expect({ table, hasPrimaryKey: constraints.some((c) => c.table === table && c.kind === 'p') }).toEqual({
        table,
        hasPrimaryKey: true,
      });
  });

  it('a foreign key between distributed tables joins on district_id, column to column', () => {
    const faults = constraints
      .filter((c) => c.kind === 'f' && DISTRIBUTED.includes(c.table) && DISTRIBUTED.includes(c.referenced!))
      .filter((c) => {
        const at = c.columns.indexOf('district_id');
        return at < 0 || c.referencedColumns[at] !== 'district_id';
      })
      .map((c) => `${c.table}.${c.name}: (${c.columns.join(', ')}) → ${c.referenced} (${c.referencedColumns.join(', ')})`);
    expect(faults).toEqual([]);
  });

  it('reference tables point at reference tables only; distributed tables at reference tables or their own district', () => {
    const fromReference = constraints.filter((c) => c.kind === 'f' && REFERENCE.includes(c.table) && !REFERENCE.includes(c.referenced!));
    expect(fromReference.map((c) => `${c.table}.${c.name} → ${c.referenced}`)).toEqual([]);
    const outward = constraints.filter(
      (c) => c.kind === 'f' && DISTRIBUTED.includes(c.table) && !DISTRIBUTED.includes(c.referenced!) && !REFERENCE.includes(c.referenced!),
    );
    expect(outward.map((c) => `${c.table}.${c.name} → ${c.referenced}`)).toEqual([]);
  });

  it('the ledger tables reach no other table by key (they can move to a district key on their own)', () => {
    const crossing = constraints.filter((c) => c.kind === 'f' && BY_LEDGER.includes(c.table) !== BY_LEDGER.includes(c.referenced!));
    expect(crossing.map((c) => `${c.table}.${c.name} → ${c.referenced}`)).toEqual([]);
  });
});
