import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { SignJWT } from 'jose';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let api: TestApp;
let world: World;
let health: DepartmentRef;
let civil: DepartmentRef;
let hidden: WorldFile;
let memberToken: string;
let adminToken: string;
const visibleToCivil: string[] = [];

const PAGE = `query ($first: Int, $after: String, $filter: FileFilter) {
  files(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id title classification category tags myAccess owner { code district { code } } district { code } fields { name sensitive } } }
  }
}`;

beforeAll(async () => {
  database = await createTestDatabase();
  const db = await database.dataSource();
  world = new World(db);
  const a = await world.district('dir-a');
  const b = await world.district('dir-b');
  health = await world.department('dir-a-health', a);
  civil = await world.department('dir-b-civil', b);
  // 130 files of every classification with distinct times, so that pages are deterministic.
  const classes = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'] as const;
  for (let i = 0; i < 130; i++) {
    const c = classes[i % 4];
    const f = await world.file(health, c, {
      title: i % 10 === 0 ? `Vaccination registry ${i}` : `Outpatient visits ${i}`,
      category: i % 3 === 0 ? 'vehicles and parking' : 'medical records',
      tags: i % 2 ? ['health'] : ['open-data'],
      updatedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000 + 123).toISOString(),
    });
    if (c === 'PUBLIC') visibleToCivil.push(f.id);
  }
  hidden = await world.file(health, 'CONFIDENTIAL');
  await db.destroy();
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
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: any = await api.gql(memberToken, PAGE, { first: 7, after, filter: { districtCodes: ['dir-a'] } });
      expect(res.errors).toBeUndefined();
      expect(res.data.files.totalCount).toBe(visibleToCivil.length);
      seen.push(...res.data.files.edges.map((e: any) => e.node.id));
      after = res.data.files.pageInfo.hasNextPage ? res.data.files.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(visibleToCivil));
    expect(pages).toBe(Math.ceil(visibleToCivil.length / 7));
  });

  it('filters by facet and searches full text, counting in SQL', async () => {
    const res: any = await api.gql(adminToken, PAGE, { first: 200, filter: { search: 'vaccination', categories: ['vehicles and parking'] } });
    expect(res.errors).toBeUndefined();
    const nodes = res.data.files.edges.map((e: any) => e.node);
    expect(nodes.length).toBeGreaterThan(0);
    expect(res.data.files.totalCount).toBe(nodes.length);
    for (const n of nodes) {
      expect(n.title).toMatch(/Vaccination/);
      expect(n.category).toBe('vehicles and parking');
    }
    const tagged: any = await api.gql(adminToken, PAGE, { first: 200, filter: { tags: ['open-data'], classifications: ['RESTRICTED'], districtCodes: ['dir-a'] } });
    expect(tagged.data.files.edges.every((e: any) => e.node.tags.includes('open-data') && e.node.classification === 'RESTRICTED')).toBe(true);
    expect(tagged.data.files.totalCount).toBe(tagged.data.files.edges.length);
  });

  it('pages a search by rank with cursors, without repeats', async () => {
    const first: any = await api.gql(adminToken, PAGE, { first: 5, filter: { search: 'outpatient visits' } });
    const second: any = await api.gql(adminToken, PAGE, { first: 5, after: first.data.files.pageInfo.endCursor, filter: { search: 'outpatient visits' } });
    const ids = [...first.data.files.edges, ...second.data.files.edges].map((e: any) => e.node.id);
    expect(new Set(ids).size).toBe(10);
  });

  it('answers a page of 50 with its nested fields in a constant number of queries', async () => {
    api.queries.reset();
    const res: any = await api.gql(adminToken, PAGE, { first: 50 });
    expect(res.data.files.edges).toHaveLength(50);
    // caller (department, grants), count, page, districts, departments, fields: no query per row.
    expect(api.queries.count).toBeLessThanOrEqual(8);
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
    const visible: any = await api.gql(memberToken, FILE, { id: visibleToCivil[0] });
    expect(visible.data.file.id).toBe(visibleToCivil[0]);
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
    const res: any = await api.gql(memberToken, `{ me { subject roles department { code district { code } } } districts { code level departments { code } } departments(districtCode: "chaoyang") { code } }`);
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
    const deep = await api.gql(adminToken, `{ files { edges { node { owner { district { departments { district { departments { district { departments { code } } } } } } } } } } }`);
    expect(deep.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(deep.errors?.[0].message).toMatch(/nested 11 fields deep; the limit is 10/);
    const viaFragments = await api.gql(adminToken, `fragment D on District { departments { district { departments { district { departments { code } } } } } } { files { edges { node { owner { district { ...D } } } } } }`);
    expect(viaFragments.errors?.[0].message).toMatch(/nested 11 fields deep/);
    const page = (alias: string) => `${alias}: files(first: 200) { edges { node { id code title description category tags format fields { name type sensitive description } owner { code name } } } }`;
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
    const expired = await api.tokens.mint({ subject: 's', departmentCode: civil.code, roles: ['MEMBER'] }, Math.floor(Date.now() / 1000) - 10);
    const res = await api.gql(expired, '{ me { subject } }');
    expect([res.status, res.errors?.[0].extensions?.code, res.errors?.[0].message]).toEqual([401, 'UNAUTHENTICATED', 'the token has expired']);
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
