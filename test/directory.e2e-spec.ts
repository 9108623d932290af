import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { SignJWT } from 'jose';
import type { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let world: World;
let health: DepartmentRef;
let finance: DepartmentRef;
let civil: DepartmentRef;
let hidden: WorldFile;
let memberToken: string;
let adminToken: string;

/** What the test made, to compute every expected answer independently of the service. */
interface Made {
  id: string;
  district: string;
  owner: string;
  classification: string;
  category: string;
  tags: string[];
  title: string;
  updatedAt: string;
}
const made: Made[] = [];
let visibleToCivil: Made[] = [];

const PAGE = `query ($first: Int, $after: String, $filter: FileFilter) {
  files(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id title classification category tags myAccess owner { code district { code } } district { code } fields { name sensitive } } }
  }
}`;

/** Newest first, the later id first among equal times: the order the README promises. */
const newestFirst = (a: Made, b: Made) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id);

/** Every page of a query by cursor; checks that each page's total agrees. */
async function walk(
  token: string,
  filter: Record<string, unknown>,
  first: number,
): Promise<{ ids: string[]; totalCount: number; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let pages = 0;
  let totalCount = -1;
  do {
    const res: any = await api.gql(token, PAGE, { first, after, filter });
    expect(res.errors).toBeUndefined();
    if (totalCount === -1) totalCount = res.data.files.totalCount;
    expect(res.data.files.totalCount).toBe(totalCount);
    expect(res.data.files.edges.length).toBeLessThanOrEqual(first);
    ids.push(...res.data.files.edges.map((e: any) => e.node.id));
    after = res.data.files.pageInfo.hasNextPage ? res.data.files.pageInfo.endCursor : null;
    pages++;
  } while (after && pages < 100);
  return { ids, totalCount, pages };
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  world = new World(db);
  const a = await world.district('dir-a');
  const b = await world.district('dir-b');
  health = await world.department('dir-a-health', a);
  finance = await world.department('dir-a-finance', a);
  civil = await world.department('dir-b-civil', b);
  const record = async (
    owner: DepartmentRef,
    classification: (typeof classes)[number],
    options: Omit<Made, 'id' | 'district' | 'owner' | 'classification'>,
  ) => {
    const f = await world.file(owner, classification, options);
    made.push({ id: f.id, district: owner.districtCode, owner: owner.code, classification, ...options });
  };
  // 130 files of every classification. Times repeat in pairs of PUBLIC files, so that the
  // order among equal times (by id) is exercised too, across page boundaries.
  const classes = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'] as const;
  for (let i = 0; i < 130; i++) {
    const title =
      i % 10 === 0
        ? `Vaccination registry ${i}`
        : // Some titles say it thrice, to rank above the others in a search.
          i % 7 === 1
          ? `Outpatient visits ${i}: outpatient clinic outpatient visits`
          : `Outpatient visits ${i}`;
    await record(i % 5 === 4 ? finance : health, classes[i % 4], {
      title,
      category: i % 3 === 0 ? 'vehicles and parking' : 'medical records',
      tags: i % 2 ? ['health'] : ['open-data'],
      updatedAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 8) * 60_000 + 123).toISOString(),
    });
  }
  for (let i = 0; i < 3; i++) {
    await record(civil, 'INTERNAL', {
      title: `Household register ${i}`,
      category: 'household registration',
      tags: ['registry'],
      updatedAt: new Date(Date.UTC(2024, 5, i + 1)).toISOString(),
    });
  }
  hidden = await world.file(health, 'CONFIDENTIAL');
  made.push({
    id: hidden.id,
    district: 'dir-a',
    owner: health.code,
    classification: 'CONFIDENTIAL',
    category: hidden.category,
    tags: [],
    title: `File ${hidden.code}`,
    updatedAt: new Date().toISOString(),
  });
  visibleToCivil = made.filter((f) => f.district === 'dir-a' && f.classification === 'PUBLIC').sort(newestFirst);
  api = await startTestApp(database);
  memberToken = await api.tokenFor(civil);
  adminToken = await api.tokenFor(civil, ['PLATFORM_ADMIN']);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('files', () => {
  it('walks every page by cursor: each visible file once, newest first, with an exact total', async () => {
    // Equal times must straddle a page boundary for the tie-break to matter there.
    const pageSize = 7;
    const boundaryTie = visibleToCivil.some((f, k) => k % pageSize === pageSize - 1 && visibleToCivil[k + 1]?.updatedAt === f.updatedAt);
    expect(boundaryTie).toBe(true);
    const { ids, totalCount, pages } = await walk(memberToken, { districtCodes: ['dir-a'] }, pageSize);
    expect(ids).toEqual(visibleToCivil.map((f) => f.id));
    expect(totalCount).toBe(visibleToCivil.length);
    expect(pages).toBe(Math.ceil(visibleToCivil.length / pageSize));
  });

  const vaccination = (f: Made) => /Vaccination/.test(f.title);
  it.each<[string, Record<string, unknown>, (f: Made) => boolean]>([
    [
      'search and category',
      { search: 'vaccination', categories: ['vehicles and parking'] },
      (f) => vaccination(f) && f.category === 'vehicles and parking',
    ],
    [
      'tag, classification and district',
      { tags: ['open-data'], classifications: ['RESTRICTED'], districtCodes: ['dir-a'] },
      (f) => f.tags.includes('open-data') && f.classification === 'RESTRICTED',
    ],
    [
      'any of two classifications',
      { classifications: ['PUBLIC', 'CONFIDENTIAL'] },
      (f) => f.classification === 'PUBLIC' || f.classification === 'CONFIDENTIAL',
    ],
    ['any of two tags, one unknown', { tags: ['registry', 'no-such-tag'] }, (f) => f.tags.includes('registry')],
    ['owning department', { ownerDepartmentCodes: ['dir-a-finance'] }, (f) => f.owner === 'dir-a-finance'],
    ['district', { districtCodes: ['dir-b'] }, (f) => f.district === 'dir-b'],
    [
      'category and owner',
      { categories: ['medical records'], ownerDepartmentCodes: ['dir-a-health'] },
      (f) => f.category === 'medical records' && f.owner === 'dir-a-health',
    ],
  ])('filters by %s, exactly, counting in SQL', async (_name, filter, expected) => {
    const want = made
      .filter(expected)
      .map((f) => f.id)
      .sort();
    // A filter that matched nothing would prove nothing.
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(made.length);
    const res: any = await api.gql(adminToken, PAGE, { first: 200, filter });
    expect(res.errors).toBeUndefined();
    expect(res.data.files.edges.map((e: any) => e.node.id).sort()).toEqual(want);
    expect(res.data.files.totalCount).toBe(want.length);
  });

  it('pages a search by rank (then id), without repeats or gaps, across pages', async () => {
    const search = 'outpatient visits';
    // The oracle: every match with PostgreSQL's own rank, ordered here rather than by the service.
    const ranked: { id: string; rank: number }[] = (
      await db.query(
        `SELECT id, ts_rank(search_vector, websearch_to_tsquery('english', $1)) AS rank FROM data_file WHERE search_vector @@ websearch_to_tsquery('english', $1)`,
        [search],
      )
    ).map((r: { id: string; rank: number }) => ({ id: r.id, rank: Number(r.rank) }));
    const expected = ranked.sort((x, y) => y.rank - x.rank || y.id.localeCompare(x.id)).map((r) => r.id);
    expect(new Set(ranked.map((r) => r.rank)).size).toBeGreaterThan(1);
    expect(expected).toHaveLength(made.filter((f) => /Outpatient/.test(f.title)).length);
    const { ids, totalCount } = await walk(adminToken, { search }, 5);
    expect(ids).toEqual(expected);
    expect(totalCount).toBe(expected.length);
  });

  it.each([1, 20, 50, 200])('answers a page of %i with its nested fields in the same, small number of queries', async (first) => {
    const count = async (size: number) => {
      api.queries.reset();
      const res: any = await api.gql(adminToken, PAGE, { first: size });
      expect(res.errors).toBeUndefined();
      expect(res.data.files.edges).toHaveLength(Math.min(size, made.length));
      return api.queries.count;
    };
    // caller (department, grants), count, page, districts, departments, fields: no query per row.
    const queries = await count(first);
    expect(queries).toBeLessThanOrEqual(8);
    expect(queries).toBe(await count(2));
  });

  it("answers a page with its total, owner, district and fields in two statements: the caller's grants, then one for the page", async () => {
    await api.gql(memberToken, PAGE, { first: 5 }); // districts and departments are read once, then kept
    api.queries.reset();
    const res: any = await api.gql(memberToken, PAGE, { first: 5 });
    expect(res.errors).toBeUndefined();
    expect(res.data.files.edges.some((e: any) => e.node.fields.length > 0)).toBe(true);
    expect(api.queries.statements).toHaveLength(2);
    expect(api.queries.statements[0]).toMatch(/FROM grants_not_ended\(/);
    expect(api.queries.statements[1]).toMatch(/count\(\*\)/);
    expect(api.queries.statements[1]).toMatch(/data_field/);
  });

  it('gives the exact total with an empty page, whether nothing matches or the cursor is past the last file', async () => {
    const none: any = await api.gql(memberToken, PAGE, { first: 5, filter: { categories: ['no such category'] } });
    expect(none.data.files).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
    const { ids, totalCount } = await walk(memberToken, {}, 200);
    const last: any = await api.gql(memberToken, PAGE, { first: 200 });
    const end: any = await api.gql(memberToken, PAGE, { first: 5, after: last.data.files.pageInfo.endCursor });
    expect(ids).toHaveLength(totalCount);
    expect(last.data.files.pageInfo.hasNextPage).toBe(false);
    expect(end.data.files).toEqual({ totalCount, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it('reads no schema when fields are not selected, and the same fields either way', async () => {
    const withFields: any = await api.gql(memberToken, PAGE, { first: 50 });
    api.queries.reset();
    const noFields: any = await api.gql(memberToken, PAGE.replace('fields { name sensitive }', ''), { first: 50 });
    expect(noFields.errors).toBeUndefined();
    expect(api.queries.statements.some((sql) => /data_field/.test(sql))).toBe(false);
    expect(noFields.data.files.edges.map((e: any) => e.node.id)).toEqual(withFields.data.files.edges.map((e: any) => e.node.id));
    // Fields asked for through a fragment are read with the page too.
    api.queries.reset();
    const fragment: any = await api.gql(
      memberToken,
      `query { files(first: 50) { ...Listing } } fragment Listing on DataFileConnection { edges { node { id fields { name sensitive } } } }`,
    );
    expect(api.queries.statements.filter((sql) => /data_field/.test(sql))).toHaveLength(1);
    expect(fragment.data.files.edges.map((e: any) => e.node.fields)).toEqual(withFields.data.files.edges.map((e: any) => e.node.fields));
  });

  it('shows a non-owner the whole field catalogue, sensitive names included, and tells what the caller may do', async () => {
    const res: any = await api.gql(memberToken, PAGE, { first: 1, filter: { districtCodes: ['dir-a'] } });
    const node = res.data.files.edges[0].node;
    expect(node.fields.length).toBeGreaterThan(0);
    expect(node.fields.some((f: any) => f.sensitive)).toBe(true);
    expect(node.myAccess).toEqual(['DISCOVER', 'READ']);
    const owner: any = await api.gql(await api.tokenFor(health), PAGE, { first: 1 });
    expect(owner.data.files.edges[0].node.fields.some((f: any) => f.sensitive)).toBe(true);
    expect(owner.data.files.edges[0].node.myAccess).toEqual(['DISCOVER', 'READ', 'EXCHANGE']);
  });
});

describe('file(id)', () => {
  const FILE = `query ($id: ID!) { file(id: $id) { id title } }`;

  it('returns a visible file, and null alike for a hidden one and a missing one', async () => {
    const visible: any = await api.gql(memberToken, FILE, { id: visibleToCivil[0].id });
    expect(visible.data.file.id).toBe(visibleToCivil[0].id);
    const hiddenRes = await api.gql(memberToken, FILE, { id: hidden.id });
    const missing = await api.gql(memberToken, FILE, { id: '00000000-0000-4000-8000-000000000000' });
    const malformed = await api.gql(memberToken, FILE, { id: 'not-a-uuid' });
    expect(hiddenRes).toEqual(missing);
    expect(malformed).toEqual(missing);
    expect(missing.data).toEqual({ file: null });
  });
});

describe('districts, departments, me', () => {
  it('lists the onboarded districts with their departments, and the caller', async () => {
    const res: any = await api.gql(
      memberToken,
      `{ me { subject roles department { code district { code } } } districts { code level departments { code } } departments(districtCode: "chaoyang") { code } }`,
    );
    expect(res.data.me).toEqual({ subject: 'tester', roles: ['MEMBER'], department: { code: 'dir-b-civil', district: { code: 'dir-b' } } });
    const codes = res.data.districts.map((d: any) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['beijing', 'dongcheng', 'chaoyang', 'yanqing']));
    expect(res.data.districts.find((d: any) => d.code === 'beijing').departments.length).toBeGreaterThanOrEqual(50);
    expect(res.data.departments.every((d: any) => d.code.startsWith('chaoyang-'))).toBe(true);
  });
});

describe('bad input and authentication', () => {
  it.each([
    ['first below 1', { first: 0 }, /first must be an integer from 1 to 200/],
    ['first over the cap', { first: 201 }, /first must be an integer from 1 to 200/],
    ['a malformed cursor', { first: 5, after: 'bm90LWEtY3Vyc29y' }, /not a cursor/],
    ['an over-long search', { first: 5, filter: { search: 'x'.repeat(201) } }, /at most 200 characters/],
    ['an unknown enum value', { first: 5, filter: { classifications: ['SECRET'] } }, /SECRET/],
  ])('%s is BAD_USER_INPUT with a clear message', async (_name, variables, message) => {
    const res = await api.gql(memberToken, PAGE, variables);
    expect(res.data?.files ?? null).toBeNull();
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(message);
    expect(JSON.stringify(res.errors)).not.toMatch(/SELECT|stack|at .*\.ts/);
  });

  it('lets tools introspect the whole schema, whatever the depth limit', async () => {
    const res = await api.gql(memberToken, getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    expect((res.data as any).__schema.queryType.name).toBe('Query');
  });

  it('refuses too deep and too costly queries before running them', async () => {
    const deep = await api.gql(
      adminToken,
      `{ files { edges { node { owner { district { departments { district { departments { district { departments { code } } } } } } } } } } }`,
    );
    expect(deep.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(deep.errors?.[0].message).toMatch(/nested 11 fields deep; the limit is 10/);
    const viaFragments = await api.gql(
      adminToken,
      `fragment D on District { departments { district { departments { district { departments { code } } } } } } { files { edges { node { owner { district { ...D } } } } } }`,
    );
    expect(viaFragments.errors?.[0].message).toMatch(/nested 11 fields deep/);
    const page = (alias: string) =>
      `${alias}: files(first: 200) { edges { node { id code title description category tags format fields { name type sensitive description } owner { code name } } } }`;
    const costly = await api.gql(adminToken, `{ ${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].map(page).join(' ')} }`);
    expect(costly.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(costly.errors?.[0].message).toMatch(/too costly/);
  });

  it.each([
    ['no token', null],
    ['a malformed token', 'not.a.jwt'],
  ])('%s is UNAUTHENTICATED with status 401', async (_name, token) => {
    const res = await api.gql(token, '{ __typename }');
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token, one signed with another key, and an unknown department', async () => {
    const expired = await api.tokens.mint(
      { subject: 's', departmentCode: civil.code, roles: ['MEMBER'] },
      Math.floor(Date.now() / 1000) - 10,
    );
    const res = await api.gql(expired, '{ me { subject } }');
    expect([res.status, res.errors?.[0].extensions?.code, res.errors?.[0].message]).toEqual([
      401,
      'UNAUTHENTICATED',
      'the token has expired',
    ]);
    const forged = await new SignJWT({ dept: civil.code, roles: ['PLATFORM_ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer('district-data-exchange')
      .setAudience('district-data-exchange')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-32b'));
    expect((await api.gql(forged, '{ me { subject } }')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const ghost = await api.tokenFor('no-such-department');
    expect((await api.gql(ghost, '{ me { subject } }')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('GraphiQL', () => {
  it('is served with every asset from installed packages, no CDN', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/graphiql' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/https?:\/\//);
    const assets = [...page.body.matchAll(/(?:src|href)="(\/graphiql\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(4);
    for (const url of assets) {
      const asset = await api.app.inject({ method: 'GET', url });
      expect([url, asset.statusCode]).toEqual([url, 200]);
      expect(asset.body.length).toBeGreaterThan(1000);
    }
  });
});
