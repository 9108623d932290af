/**
 * The schema can be distributed by district (Citus: distribution column
 * `district_id`, `district` and `department` as reference tables) without a
 * rewrite: read from the catalogue of the migrated database. A new table must
 * say which kind it is here, so nobody adds one that cannot be distributed
 * without noticing.
 *
 * And the hot paths stay on one district: the statements the service really
 * runs for a page of files, a file by id and the exchange steps (captured
 * through the API) are EXPLAINed against a copy of the distributed tables
 * list-partitioned by district_id, one partition per district, as Citus would
 * place shards. A statement that reads partitions of more than one district
 * fans out; those that do by design are listed here and in docs/scaling.md.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

/** Small, read everywhere, copied to every node. */
const REFERENCE = ['district', 'department'];
/** Split by district_id: each district's rows on one node, joined there. */
const DISTRIBUTED = [
  'data_file',
  'data_field',
  'data_version',
  'data_record',
  'permission',
  'permission_review',
  'permission_grantee_version',
  'file_listing_version',
  'exchange',
];
/**
 * Split by district_id as well: the district of their ledger (a district's code), filled in by the database. The
 * platform's ledger is kept under the nil id, which is no district: these tables reach no other table by key.
 */
const LEDGERS = ['audit_entry', 'audit_checkpoint', 'audit_merkle_node'];
/** Every table split by district_id. */
const BY_DISTRICT = [...DISTRIBUTED, ...LEDGERS];
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
  it("every table is classified: reference, distributed by district, the audit ledgers (by their ledger's district), or local", async () => {
    const tables = await db.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = current_schema() WHERE c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    expect(tables.map((t) => t.name).sort()).toEqual([...REFERENCE, ...BY_DISTRICT, ...LOCAL].sort());
  });

  it('every table split by district has district_id, in its primary key and in every unique constraint', () => {
    const faults = constraints
      .filter((c) => BY_DISTRICT.includes(c.table) && c.kind !== 'f' && !c.columns.includes('district_id'))
      .map((c) => `${c.table}.${c.name} (${c.columns.join(', ')})`);
    expect(faults).toEqual([]);
    for (const table of BY_DISTRICT)
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

  it("a file's owner is a department of the file's district, by key", async () => {
    const [here, elsewhere] = await db.query<{ id: string; district_id: string }[]>(
      `SELECT DISTINCT ON (district_id) id, district_id FROM department ORDER BY district_id, code LIMIT 2`,
    );
    expect(here.district_id).not.toBe(elsewhere.district_id);
    const insert = (districtId: string, ownerId: string) =>
      db.query(
        `INSERT INTO data_file (district_id, code, title, owner_department_id, classification, category, format, search_vector)
         VALUES ($1, 'owner-district-' || md5(random()::text), 'Placed', $2, 'INTERNAL', 'history', 'table', ''::tsvector)`,
        [districtId, ownerId],
      );
    // Even the owner, who writes the seeds, cannot place a file outside its owner's district.
    await expect(insert(here.district_id, elsewhere.id)).rejects.toThrow(/data_file_owner_in_district_fkey/);
    await insert(elsewhere.district_id, elsewhere.id);
  });

  it('the ledger tables reach no other table by key (the platform ledger is under the nil id, which is no district)', () => {
    const crossing = constraints.filter((c) => c.kind === 'f' && LEDGERS.includes(c.table) !== LEDGERS.includes(c.referenced!));
    expect(crossing.map((c) => `${c.table}.${c.name} → ${c.referenced}`)).toEqual([]);
  });

  it("every row of the ledger tables carries its ledger's district, the platform's the nil id", async () => {
    for (const table of LEDGERS) {
      const [{ n, wrong }] = await db.query<{ n: number; wrong: number }[]>(
        `SELECT count(*)::int AS n,
                count(*) FILTER (WHERE e.district_id IS DISTINCT FROM coalesce(d.id, '00000000-0000-0000-0000-000000000000'))::int AS wrong
           FROM ${table} e LEFT JOIN district d ON d.code = e.ledger`,
      );
      expect({ table, wrong }).toEqual({ table, wrong: 0 });
      // The onboardings' entries are in the platform ledger; checkpoints and nodes only once a signer ran.
      if (table === 'audit_entry') expect(n).toBeGreaterThanOrEqual(17);
    }
  });
});

/** The copy of the tables split by district, list-partitioned by district_id. */
const COPY = 'by_district';

/**
 * Per operation, the tables it reads in more than one district, each for a
 * reason given in docs/scaling.md ("Which statements stay on one node"):
 * - by design, what the caller may see spans districts: its grants (every
 *   request, by grantee: their versions, and the grants when those changed, through grants_not_ended) and a page of files
 *   with its count (the grants in its access condition), unless the page is filtered by district;
 * - a lookup by an id a client gave (a file, an exchange, a grant): ids do
 *   not carry their district yet. Every repository method takes the district
 *   (a DistrictScope); these are the statements that pass ANY_DISTRICT, and
 *   what follows them goes by the district of the row they found.
 * A new statement that fans out fails this test until it is listed here and there.
 */
const FANS_OUT: Record<string, string[]> = {
  // The grants themselves are read by grantee in grants_not_ended (migration GrantsNotEndedFunction), which fans out
  // by design and whose own query EXPLAIN does not show: here, only their versions.
  'every request': ['permission_grantee_version'],
  // The page's schemas are read in the page's own statement, joined on (district_id, file_id): they prune with the page.
  'a page of files': ['data_file', 'file_listing_version', 'permission'],
  'file by id': ['data_file'],
  'publish records': ['data_file'],
  grant: ['data_file'],
  'request an exchange': ['data_file'],
  'approve an exchange': ['exchange'],
  'deliver an exchange': ['exchange'],
  'reject an exchange': ['exchange'],
  'change a schema': ['data_file'],
  'grants on a file': ['data_file'],
  're-approve a grant': ['permission'],
  'revoke a grant': ['permission'],
};

interface Statement {
  sql: string;
  params: unknown[];
}

describe('hot-path statements stay on one district', () => {
  let api: TestApp;
  let explainer: pg.Client;
  /** Per operation, each statement's distributed tables and the districts whose partitions it reads. */
  const reads = new Map<string, { sql: string; tables: Map<string, Set<string>> }[]>();

  beforeAll(async () => {
    if (database.embedded) return;
    const world = new World(db);
    const owner = await world.department('dist-health', await world.district('dist-east'));
    const requester = await world.department('dist-civil', await world.district('dist-west'));
    api = await startTestApp(database);
    const steward = await api.tokenFor(owner, ['STEWARD']);
    const member = await api.tokenFor(requester);

    // The copy: each table split by district as a partitioned table with the same columns, keys and indexes
    // (a primary key or unique index of a partitioned table must include district_id, as Citus needs),
    // and one partition per district, named <table>__d<district number>, the platform ledger's nil id last.
    const districts = [
      ...(await db.query<{ id: string }[]>('SELECT id FROM district ORDER BY code')),
      { id: '00000000-0000-0000-0000-000000000000' },
    ];
    await db.query(`CREATE SCHEMA ${COPY}`);
    for (const table of BY_DISTRICT) {
      await db.query(`CREATE TABLE ${COPY}.${table} (LIKE public.${table} INCLUDING ALL) PARTITION BY LIST (district_id)`);
      for (const [n, { id }] of districts.entries())
        await db.query(`CREATE TABLE ${COPY}.${table}__d${n} PARTITION OF ${COPY}.${table} FOR VALUES IN ('${id}')`);
    }
    explainer = new pg.Client({ connectionString: database.url });
    await explainer.connect();
    await explainer.query(`SET search_path = ${COPY}, public`);

    /** The statements one call of the API runs, with their parameters, by operation; explained once all have run. */
    const captured = new Map<string, Statement[]>();
    const capture = async (operation: string, call: () => Promise<any>): Promise<any> => {
      const statements: Statement[] = [];
      const logger = api.queries as unknown as { logQuery: (sql: string, params?: unknown[]) => void };
      const original = logger.logQuery;
      logger.logQuery = (sql, params) => statements.push({ sql, params: params ?? [] });
      let answer: any;
      try {
        answer = await call();
      } finally {
        logger.logQuery = original;
      }
      expect(answer.errors).toBeUndefined();
      captured.set(
        operation,
        statements.filter((s) => BY_DISTRICT.some((table) => new RegExp(`\\b${table}\\b`).test(s.sql))),
      );
      return answer.data;
    };
    /** Which partitions of each distributed table a statement reads; a write runs in a transaction that is rolled back. */
    const explain = async ({ sql, params }: Statement) => {
      // A row inserted again would collide with the one the operation left: an INSERT is only planned
      // (it goes where its district_id puts it); everything else runs.
      const analyze = !/^\s*INSERT\b/i.test(sql);
      await explainer.query('BEGIN');
      let plan: unknown;
      try {
        // An exchange step writes its row in a statement of CTEs, under an id the service made (a parameter): that
        // row is removed first, in this transaction that is rolled back, so that the statement runs again whole.
        const inserted = /^\s*WITH\b/i.test(sql) ? [...sql.matchAll(/\bINSERT\s+INTO\s+(\w+)/gi)].map((m) => m[1]) : [];
        for (const table of inserted.filter((t) => DISTRIBUTED.includes(t))) {
          await explainer.query(`DELETE FROM ${table} WHERE id::text = ANY($1::text[])`, [params.filter((p) => typeof p === 'string')]);
        }
        const { rows } = await explainer.query(`EXPLAIN (${analyze ? 'ANALYZE, ' : ''}VERBOSE, FORMAT JSON) ${sql}`, params);
        plan = rows[0]['QUERY PLAN'];
      } finally {
        await explainer.query('ROLLBACK');
      }
      const tables = new Map<string, Set<string>>();
      const walk = (node: any) => {
        if (node && typeof node === 'object') {
          const match = node.Schema === COPY && /^(.+)__d(\d+)$/.exec(node['Relation Name'] ?? '');
          // With ANALYZE, a partition pruned while running (by the outer row's district) shows no loops.
          if (match && (!analyze || node['Actual Loops'] > 0)) tables.set(match[1], (tables.get(match[1]) ?? new Set()).add(match[2]));
          for (const value of Object.values(node)) walk(value);
        }
      };
      walk(plan);
      return { sql, tables };
    };

    // What every request runs before its operation (deciding the caller): reported once, as "every request".
    // Twice: a caller's first policy reads its grants whole, the next ones ask whether they changed (another text).
    await capture('every request', async () => {
      await api.gql(member, '{ me { department { code } } }');
      return api.gql(member, '{ me { department { code } } }');
    });
    const registered = await capture('register a file', () =>
      api.gql(steward, `mutation ($input: RegisterFileInput!) { registerFile(input: $input) { id } }`, {
        input: {
          code: 'dist-beds',
          title: 'Beds by ward',
          classification: 'RESTRICTED',
          category: 'health',
          format: 'table',
          fields: [
            { name: 'ward', type: 'string' },
            { name: 'beds', type: 'integer' },
          ],
        },
      }),
    );
    const fileId = registered.registerFile.id;
    await capture('publish records', () =>
      api.gql(steward, `mutation ($id: ID!, $records: [JSON!]!) { publishRecords(fileId: $id, records: $records) { id } }`, {
        id: fileId,
        records: [{ ward: 'east', beds: 12 }],
      }),
    );
    await capture('grant', () =>
      api.gql(steward, `mutation ($input: GrantPermissionInput!) { grantPermission(input: $input) { id } }`, {
        input: { fileId, granteeDepartmentCode: requester.code, actions: ['READ'], purpose: 'bed planning' },
      }),
    );
    const PAGE = `query ($filter: FileFilter) { files(first: 20, filter: $filter) { totalCount
      edges { node { id title owner { name } district { code } fields { name type sensitive } myAccess } } } }`;
    await capture('a page of files', () => api.gql(member, PAGE, { filter: { categories: ['health'] } }));
    await capture('a page of files in one district', () =>
      api.gql(member, PAGE, { filter: { categories: ['health'], districtCodes: [owner.districtCode] } }),
    );
    await capture('file by id', () =>
      api.gql(member, `query ($id: ID!) { file(id: $id) { id title owner { name } district { code } fields { name } myAccess } }`, {
        id: fileId,
      }),
    );
    const requested = await capture('request an exchange', () =>
      api.gql(member, `mutation ($input: RequestExchangeInput!) { requestExchange(input: $input) { id } }`, {
        input: { fileId, fields: ['beds'], purpose: 'bed planning' },
      }),
    );
    const exchangeId = requested.requestExchange.id;
    const approved = await capture('approve an exchange', () =>
      api.gql(steward, `mutation ($id: ID!) { approveExchange(id: $id, note: "ok") { id permissionId } }`, { id: exchangeId }),
    );
    await capture('deliver an exchange', () =>
      api.gql(member, `mutation ($id: ID!) { deliverExchange(id: $id) { records } }`, { id: exchangeId }),
    );
    const permissionId = approved.approveExchange.permissionId;
    // Decisions that lock their row in a transaction: a request of a field no grant covers, rejected.
    const toReject = await api.gql(member, `mutation ($input: RequestExchangeInput!) { requestExchange(input: $input) { id } }`, {
      input: { fileId, fields: ['ward'], purpose: 'ward planning' },
    });
    expect(toReject.errors).toBeUndefined();
    await capture('reject an exchange', () =>
      api.gql(steward, `mutation ($id: ID!) { rejectExchange(id: $id, reason: "not now") { status } }`, {
        id: toReject.data!.requestExchange.id,
      }),
    );
    // A changed type holds the approved grant's field for review; re-approving it locks the grant.
    await capture('change a schema', () =>
      api.gql(steward, `mutation ($input: ChangeFileSchemaInput!) { changeFileSchema(input: $input) { grantsHeld } }`, {
        input: { fileId, alterFields: [{ name: 'beds', type: 'number' }] },
      }),
    );
    await capture('grants on a file', () =>
      api.gql(
        steward,
        `query ($id: ID!) { permissions(fileId: $id) { totalCount edges { node { id fieldsAwaitingReview file { id } } } } }`,
        {
          id: fileId,
        },
      ),
    );
    await capture('re-approve a grant', () =>
      api.gql(steward, `mutation ($id: ID!) { reapprovePermission(id: $id, note: "checked") { id } }`, { id: permissionId }),
    );
    await capture('revoke a grant', () =>
      api.gql(steward, `mutation ($id: ID!) { revokePermission(id: $id, reason: "done") { id } }`, { id: permissionId }),
    );

    // The copy holds what the operations left behind, so that each statement finds its rows again and
    // EXPLAIN ANALYZE shows which partitions it really reads: those pruned when planning are absent,
    // those pruned while running (a subquery keyed by the outer row's district) show no loops.
    for (const table of BY_DISTRICT) await db.query(`INSERT INTO ${COPY}.${table} SELECT * FROM public.${table}`);
    await explainer.query('ANALYZE');
    const everyRequest = new Set(captured.get('every request')!.map((s) => s.sql));
    for (const [operation, statements] of captured) {
      const explained = [];
      for (const statement of statements)
        if (operation === 'every request' || !everyRequest.has(statement.sql)) explained.push(await explain(statement));
      reads.set(operation, explained);
    }
  }, 60_000);

  afterAll(async () => {
    await explainer?.end();
    await api?.close();
    await db?.query(`DROP SCHEMA IF EXISTS ${COPY} CASCADE`);
  });

  it('every hot-path statement reads one district, but those that fan out by design', () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; the copy is checked on PostgreSQL');
    /** Per operation, the distributed tables some statement of it reads in more than one district. */
    const fanningOut: Record<string, string[]> = {};
    for (const [operation, statements] of reads) {
      const tables = new Set<string>();
      for (const statement of statements) for (const [table, districts] of statement.tables) if (districts.size > 1) tables.add(table);
      if (tables.size) fanningOut[operation] = [...tables].sort();
    }
    expect(fanningOut).toEqual(FANS_OUT);
  });

  it('every write of the hot path, and every read of published rows, stays in one district; row locks by id alone do not', () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; the copy is checked on PostgreSQL');
    const statements = [...reads.entries()].flatMap(([operation, list]) => list.map((s) => ({ operation, ...s })));
    const districtsRead = ({ tables }: (typeof statements)[number]) => new Set([...tables.values()].flatMap((d) => [...d])).size;
    const writes = statements.filter(({ sql }) => /^\s*(UPDATE|DELETE|INSERT)\b|^\s*WITH\b[\s\S]*\b(UPDATE|DELETE|INSERT)\s/i.test(sql));
    const rows = statements.filter(({ sql }) => /\bFROM data_record\b/.test(sql));
    expect(writes.length).toBeGreaterThanOrEqual(8);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(writes.filter((s) => districtsRead(s) > 1).map((s) => s.sql)).toEqual([]);
    // Published rows are read in one district, even where the statement finds the exchange by id alone first.
    expect(rows.filter((s) => (s.tables.get('data_record')?.size ?? 0) > 1).map((s) => s.sql)).toEqual([]);
    // Citus takes a row lock (FOR UPDATE) on one shard only: every lock learns the district before it locks (the
    // exchange steps read by id in a plain read, then lock and write by the full key in their one statement).
    const locks = statements.filter(({ sql }) => /\bFOR UPDATE\b/i.test(sql));
    expect(locks.length).toBeGreaterThanOrEqual(3);
    // Among them the decisions that lock their row in a transaction: found by id in a plain read, locked by the full key.
    expect([...new Set(locks.map((s) => s.operation))]).toEqual(expect.arrayContaining(['reject an exchange', 're-approve a grant']));
    expect(
      locks.filter((s) => districtsRead(s) > 1).map((s) => `${s.operation}: ${[...s.tables].find(([, d]) => d.size > 1)![0]} by id`),
    ).toEqual([]);
  });
});
