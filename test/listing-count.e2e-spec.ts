/**
 * A member's `totalCount` is added up from one count per access term (its own
 * files, PUBLIC files, INTERNAL files of its district, file grants, scope
 * grants), each counting what no earlier term allows. Here every term overlaps
 * another on purpose, and the total must still be the number of rows that
 * walking every page returns, each file once, and exactly the files listed by
 * hand below, under each kind of filter.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DepartmentRef } from '@app/auth';
import { KEPT_SEARCH_MATCHES } from '@app/directory';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

const DAY = 86_400_000;
const CATEGORY = 'counted records';
const OTHER = 'other counted records';
const TITLE = 'Ledger of counted things';

let database: TestDatabase;
let api: TestApp;
let me: DepartmentRef;
let stranger: DepartmentRef;
let world: World;
/** The files the member may discover, named by hand. */
const visible = new Set<string>();
const all: WorldFile[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  world = new World(await database.dataSource());
  const a = await world.district('count-a');
  const b = await world.district('count-b');
  me = await world.department('count-a-me', a);
  const neighbour = await world.department('count-a-neighbour', a);
  stranger = await world.department('count-b-stranger', b);
  const file = async (owner: DepartmentRef, classification: WorldFile['classification'], category = CATEGORY, seen = false) => {
    const made = await world.file(owner, classification, { category, title: TITLE });
    all.push(made);
    if (seen) visible.add(made.id);
    return made;
  };
  const grant = (
    fileOrScope: WorldFile | { districtId: string; category: string; maxClassification: WorldFile['classification'] },
    extra = {},
  ) =>
    'id' in fileOrScope
      ? world.grant({ fileId: fileOrScope.id, grantee: me, action: 'READ', ...extra }, fileOrScope.districtId)
      : world.grant({ scope: fileOrScope, grantee: me, action: 'DISCOVER', ...extra });

  // Its own files, of every classification: PUBLIC and INTERNAL ones are allowed by other terms too.
  const mine = [await file(me, 'PUBLIC', CATEGORY, true), await file(me, 'INTERNAL', CATEGORY, true)];
  await file(me, 'RESTRICTED', CATEGORY, true);
  mine.push(await file(me, 'CONFIDENTIAL', CATEGORY, true));
  // Its district: PUBLIC and INTERNAL by default; one RESTRICTED by a file grant, one CONFIDENTIAL by a revoked one.
  for (let i = 0; i < 2; i++) await file(neighbour, 'PUBLIC', CATEGORY, true);
  for (let i = 0; i < 2; i++) await file(neighbour, 'INTERNAL', CATEGORY, true);
  const neighbourRestricted = [await file(neighbour, 'RESTRICTED', CATEGORY, true), await file(neighbour, 'RESTRICTED')];
  const neighbourConfidential = await file(neighbour, 'CONFIDENTIAL');
  // Another district: PUBLIC by default; INTERNAL and RESTRICTED by a scope grant; one CONFIDENTIAL by two file grants.
  const strangerPublic = await file(stranger, 'PUBLIC', CATEGORY, true);
  await file(stranger, 'PUBLIC', CATEGORY, true);
  for (let i = 0; i < 2; i++) await file(stranger, 'INTERNAL', CATEGORY, true);
  const strangerRestricted = [await file(stranger, 'RESTRICTED', CATEGORY, true), await file(stranger, 'RESTRICTED', CATEGORY, true)];
  const strangerConfidential = [await file(stranger, 'CONFIDENTIAL', CATEGORY, true), await file(stranger, 'CONFIDENTIAL')];
  // Another category: a scope grant opens the stranger's RESTRICTED file there, not the neighbour's.
  await file(stranger, 'RESTRICTED', OTHER, true);
  await file(neighbour, 'RESTRICTED', OTHER);

  // File grants that overlap every other term: on its own file, on a PUBLIC file, on a file a scope grant covers.
  await grant(mine[1]);
  await grant(mine[2]);
  await grant(neighbourRestricted[0]);
  await grant(strangerPublic);
  await grant(strangerRestricted[0]);
  await grant(strangerConfidential[0]);
  await grant(strangerConfidential[0], { action: 'EXCHANGE' });
  await grant(neighbourConfidential, { revokedAt: new Date(Date.now() - 1000) });
  await grant(strangerConfidential[1], { validFrom: new Date(Date.now() - 10 * DAY), expiresAt: new Date(Date.now() - DAY) });
  // Scope grants: two that overlap each other, one that adds nothing to the INTERNAL default, one in force tomorrow.
  await grant({ districtId: b.id, category: CATEGORY, maxClassification: 'RESTRICTED' });
  await grant({ districtId: b.id, category: CATEGORY, maxClassification: 'INTERNAL' });
  await grant({ districtId: a.id, category: CATEGORY, maxClassification: 'INTERNAL' });
  await grant({ districtId: b.id, category: OTHER, maxClassification: 'CONFIDENTIAL' });
  await grant({ districtId: a.id, category: CATEGORY, maxClassification: 'CONFIDENTIAL' }, { validFrom: new Date(Date.now() + DAY) });
  api = await startTestApp(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** Walks every page; returns the ids in order and every totalCount reported. */
async function walk(filter: Record<string, unknown>, pageSize: number): Promise<{ ids: string[]; totals: number[] }> {
  const token = await api.tokenFor(me, ['MEMBER']);
  const ids: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res: any = await api.gql(
      token,
      `query ($first: Int, $after: String, $filter: FileFilter) {
        files(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
      }`,
      { first: pageSize, after, filter },
    );
    expect(res.errors).toBeUndefined();
    totals.add(res.data.files.totalCount);
    ids.push(...res.data.files.edges.map((e: { node: { id: string } }) => e.node.id));
    if (!res.data.files.pageInfo.hasNextPage) break;
    after = res.data.files.pageInfo.endCursor;
  }
  return { ids, totals: [...totals] };
}

const expectedUnder = (keep: (f: WorldFile) => boolean): string[] =>
  all
    .filter((f) => visible.has(f.id) && keep(f))
    .map((f) => f.id)
    .sort();

describe('a member with own files, public files, file grants and scope grants', () => {
  const cases: [string, Record<string, unknown>, (f: WorldFile) => boolean][] = [
    ['one category', { categories: [CATEGORY] }, (f) => f.category === CATEGORY],
    ['two categories', { categories: [CATEGORY, OTHER] }, () => true],
    [
      'a category and a classification',
      { categories: [CATEGORY], classifications: ['RESTRICTED'] },
      (f) => f.category === CATEGORY && f.classification === 'RESTRICTED',
    ],
    ['its districts', { districtCodes: ['count-a', 'count-b'] }, () => true],
    ['a full-text search', { search: 'ledger counted', districtCodes: ['count-a', 'count-b'] }, () => true],
  ];

  it('lists 17 files by hand: 4 of its own, 5 of its district and 7 of the other in the category, 1 in the other category', () => {
    expect(visible.size).toBe(17);
  });

  it.each(cases)(
    'under %s, totalCount is the number of rows paged through, each once, and exactly the files allowed',
    async (_, filter, keep) => {
      const expected = expectedUnder(keep);
      expect(expected.length).toBeGreaterThan(1);
      const { ids, totals } = await walk(filter, 3);
      expect(new Set(ids).size).toBe(ids.length);
      expect(totals).toEqual([ids.length]);
      expect([...ids].sort()).toEqual(expected);
    },
  );
});

describe('a total kept for the same rules and filter', () => {
  /** The member's total of one category, as the service answers it now. */
  const total = async (): Promise<number> => {
    const res: any = await api.gql(
      await api.tokenFor(me, ['MEMBER']),
      `query ($filter: FileFilter) { files(first: 2, filter: $filter) { totalCount } }`,
      { filter: { categories: [CATEGORY] } },
    );
    expect(res.errors).toBeUndefined();
    return res.data.files.totalCount;
  };

  it("holds while the files are unchanged, and is counted again after any write to them, the service's or straight to the table", async () => {
    const db = await database.dataSource();
    const before = await total();
    expect(before).toBe(expectedUnder((f) => f.category === CATEGORY).length);
    expect(await total()).toBe(before);
    // A PUBLIC file of the other district: every member may discover it.
    const added = await world.file(stranger, 'PUBLIC', { category: CATEGORY, title: TITLE });
    expect(await total()).toBe(before + 1);
    await db.query(`UPDATE data_file SET classification = 'CONFIDENTIAL' WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    expect(await total()).toBe(before);
    await db.query(`UPDATE data_file SET classification = 'PUBLIC' WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    expect(await total()).toBe(before + 1);
    await db.query(`DELETE FROM data_file WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    expect(await total()).toBe(before);
  });

  it('counts again only the districts whose files were written since: a district left unwritten keeps its count', async () => {
    const db = await database.dataSource();
    const before = await total();
    // A PUBLIC file of the member's district that nothing else opens: CONFIDENTIAL, the member may not discover it.
    const [{ id: hidden }] = await db.query(
      `SELECT f.id FROM data_file f JOIN department d ON d.id = f.owner_department_id
        WHERE d.code = 'count-a-neighbour' AND f.classification = 'PUBLIC' AND f.category = $1 LIMIT 1`,
      [CATEGORY],
    );
    // Replication's apply mode fires no ordinary trigger: the district's files keep their version.
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(`UPDATE data_file SET classification = 'CONFIDENTIAL' WHERE id = $1`, [hidden]);
    });
    try {
      expect(await total()).toBe(before);
      // A file added in the other district: that district is counted again, the member's keeps its count.
      const added = await world.file(stranger, 'PUBLIC', { category: CATEGORY, title: TITLE });
      expect(await total()).toBe(before + 1);
      // A write through the triggers in the member's district: counted again there too.
      await db.query(`UPDATE data_file SET title = title WHERE id = $1`, [hidden]);
      expect(await total()).toBe(before);
      await db.query(`DELETE FROM data_file WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    } finally {
      await db.query(`UPDATE data_file SET classification = 'PUBLIC' WHERE id = $1`, [hidden]);
    }
    expect(await total()).toBe(before);
  });
});

describe('a search kept for the same rules and filter', () => {
  const SEARCH = { search: 'ledger counted', districtCodes: ['count-a', 'count-b'] };
  const sorted = (ids: string[]) => [...ids].sort();

  it('pages through the same matches in the same order while the files are unchanged, and searches again after any write to them', async () => {
    const db = await database.dataSource();
    const first = await walk(SEARCH, 2);
    expect(sorted(first.ids)).toEqual(expectedUnder(() => true));
    expect(await walk(SEARCH, 2)).toEqual(first);
    const added = await world.file(stranger, 'PUBLIC', { category: CATEGORY, title: TITLE });
    const withAdded = await walk(SEARCH, 2);
    expect(withAdded.totals).toEqual([first.ids.length + 1]);
    expect(sorted(withAdded.ids)).toEqual(sorted([...first.ids, added.id]));
    await db.query(`UPDATE data_file SET classification = 'CONFIDENTIAL' WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    expect(await walk(SEARCH, 2)).toEqual(first);
    await db.query(`UPDATE data_file SET classification = 'PUBLIC' WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    expect(await walk(SEARCH, 2)).toEqual(withAdded);
    await db.query(`DELETE FROM data_file WHERE district_id = $1 AND id = $2`, [added.districtId, added.id]);
    expect(await walk(SEARCH, 2)).toEqual(first);
  });

  it('reads a kept page by key without searching again: a write that bypasses the files’ versions is not seen until one that does not', async () => {
    const db = await database.dataSource();
    const first = await walk(SEARCH, 50);
    const [hidden, touched] = first.ids;
    const [{ terms }] = await db.query(`SELECT search_vector::text AS terms FROM data_file WHERE id = $1`, [hidden]);
    // Replication's apply mode fires no ordinary trigger: the files' version stays as the kept search saw it.
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(`UPDATE data_file SET search_vector = to_tsvector('english', 'unrelated') WHERE id = $1`, [hidden]);
    });
    try {
      expect(await walk(SEARCH, 50)).toEqual(first);
      // Any write through the triggers makes the next page search again, and see both.
      await db.query(`UPDATE data_file SET title = title WHERE id = $1`, [touched]);
      const after = await walk(SEARCH, 50);
      expect(after.totals).toEqual([first.ids.length - 1]);
      expect(sorted(after.ids)).toEqual(sorted(first.ids.filter((id) => id !== hidden)));
    } finally {
      await db.query(`UPDATE data_file SET search_vector = CAST($2 AS tsvector) WHERE id = $1`, [hidden, terms]);
    }
    expect(await walk(SEARCH, 50)).toEqual(first);
  });

  it('searches once for requests that find the same search unkept together: the others read their pages from what it kept', async () => {
    if (database.embedded) {
      console.warn('skipped: holding a lock while requests wait needs a PostgreSQL server (the embedded database has one session)');
      return;
    }
    const db = await database.dataSource();
    const token = await api.tokenFor(me, ['MEMBER']);
    // A search no request has made yet; the table is held locked, so that the first to search waits on it while
    // the others arrive.
    const search = { search: 'ledger counted', districtCodes: ['count-a', 'count-b'], classifications: ['PUBLIC', 'INTERNAL'] };
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let pages: Promise<any>[] = [];
    try {
      await runner.query('LOCK TABLE data_file IN ACCESS EXCLUSIVE MODE');
      api.queries.reset();
      pages = [1, 2, 3, 4, 5].map(() =>
        api.gql(token, `query ($filter: FileFilter) { files(first: 50, filter: $filter) { totalCount edges { node { id } } } }`, {
          filter: search,
        }),
      );
      for (let waited = 0; ; waited += 20) {
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'data_file'::regclass AND NOT granted`);
        if (n > 0 && waited >= 200) break;
        if (waited > 10_000) throw new Error('no search waited on the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await runner.commitTransaction();
      await runner.release();
    }
    const answers = (await Promise.all(pages)).map((res) => {
      expect(res.errors).toBeUndefined();
      return { ids: res.data.files.edges.map((e: { node: { id: string } }) => e.node.id), total: res.data.files.totalCount };
    });
    expect(api.queries.statements.filter((sql) => /WITH matched AS MATERIALIZED/.test(sql))).toHaveLength(1);
    const { ids } = await walk(search, 50);
    expect(ids.length).toBeGreaterThan(1);
    for (const answer of answers) expect(answer).toEqual({ ids, total: ids.length });
  });

  it(`pages past the ${KEPT_SEARCH_MATCHES} matches it keeps by searching again, each match once`, async () => {
    const many: string[] = [];
    for (let i = 0; i < KEPT_SEARCH_MATCHES + 5; i++) {
      many.push((await world.file(stranger, 'PUBLIC', { category: OTHER, title: `Roster of plentiful things ${i}` })).id);
    }
    const search = { search: 'plentiful roster' };
    const first = await walk(search, 9);
    expect(first.totals).toEqual([many.length]);
    expect(first.ids).toHaveLength(many.length);
    expect(sorted(first.ids)).toEqual(sorted(many));
    // Again, now from the kept matches up to the 100th, and searching again past them.
    expect(await walk(search, 9)).toEqual(first);
    expect(await walk(search, 40)).toEqual(first);
  });
});
