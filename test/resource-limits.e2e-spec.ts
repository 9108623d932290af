/**
 * One caller must not be able to stall the service for everyone: query shape
 * and cost are bounded before execution (variables and fragments included, in
 * linear time), nested lists are batched, a slow statement or a busy pool
 * fails one request with a clear code, and each department has a request
 * budget. Tokens are decided once, before any resolver.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { DataSource, QueryFailedError } from 'typeorm';
import { GraphQLError } from 'graphql';
import type { DepartmentRef } from '@app/auth';
import { createDataSource } from '@app/database';
import { formatError } from '../apps/directory-api/src/graphql/error-formatter.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let api: TestApp;
let member: string;
let auditor: string;
let department: DepartmentRef;
let file: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  department = await world.department('rl-health', await world.district('rl-east'));
  for (let i = 0; i < 3; i += 1) file = (await world.file(department, 'PUBLIC')).id;
  api = await startTestApp(database);
  member = await api.tokenFor(department);
  auditor = await api.tokenFor(department, ['AUDITOR']);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const refusal = (response: { status: number; errors?: { message: string; extensions?: { code?: string } }[] }) => {
  expect(response.status).toBe(400);
  expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  return response.errors![0].message;
};

describe('query shape and cost are bounded before anything runs', () => {
  it('nested reference lists are priced at their real length: a seven-deep departments query is refused unrun', async () => {
    api.queries.reset();
    const nested = `{ departments { district { departments { district { departments { district { departments { code } } } } } } } }`;
    expect(refusal(await api.gql(member, nested))).toMatch(/too costly/);
    // Only the caller's own lookups ran (department, grants, reference sizes); not one query per parent.
    expect(api.queries.count).toBeLessThanOrEqual(3);
  });

  it('districts with their departments cost a constant number of queries, however many districts', async () => {
    await api.gql(member, `{ districts { code } }`);
    api.queries.reset();
    const res: any = await api.gql(member, `{ districts { code departments { code district { code departments { code } } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.districts.length).toBeGreaterThanOrEqual(17);
    expect(api.queries.count).toBeLessThanOrEqual(3);
  });

  it('at most 20 top-level fields, aliases included', async () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: files(first: 1) { totalCount }`).join(' ');
    api.queries.reset();
    expect(refusal(await api.gql(member, `{ ${aliases(100)} }`))).toMatch(/100 top-level fields; the limit is 20/);
    expect(refusal(await api.gql(member, `{ ${aliases(1_000)} }`))).toMatch(/more than 5,000 tokens/);
    expect(api.queries.count).toBeLessThanOrEqual(3);
    const twenty = Array.from({ length: 20 }, (_, i) => `a${i}: files(first: 1) { edges { cursor } }`).join(' ');
    expect((await api.gql(member, `{ ${twenty} }`)).errors).toBeUndefined();
  });

  it('one request runs at most four counts of files at once, so it cannot hold the whole pool', async () => {
    const counts = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `c${i}: files(first: 1, filter: { search: "x${i}" }) { totalCount }`).join(' ')} }`;
    expect((await api.gql(member, counts(4))).errors).toBeUndefined();
    expect(refusal(await api.gql(member, counts(5)))).toMatch(/too costly/);
  });

  it("a count is not multiplied by the page size; the page's rows are", async () => {
    expect(
      (await api.gql(member, `{ files(first: 200) { totalCount pageInfo { hasNextPage } edges { node { fields { name } } } } }`)).errors,
    ).toBeUndefined();
    const fragment = `query { files(first: 200) { ...Page } } fragment Page on DataFileConnection { edges { node { owner { district { departments { code } } } } } }`;
    expect((await api.gql(member, fragment)).errors).toBeUndefined();
  });

  it('a page size given by a variable is priced as given', async () => {
    const page = `edges { node { fields { name } owner { district { departments { code } } } } }`;
    const query = `query ($n: Int) { a: files(first: $n) { ${page} } b: files(first: $n) { ${page} } }`;
    expect(refusal(await api.gql(member, query, { n: 200 }))).toMatch(/too costly/);
    expect((await api.gql(member, query, { n: 1 })).errors).toBeUndefined();
  });

  it('a named fragment is priced where it is spread, multiplied by the page around it', async () => {
    const inline = `{ a: files(first: 200) { edges { node { fields { name } owner { district { departments { code } } } } } } b: files(first: 200) { edges { node { fields { name } owner { district { departments { code } } } } } } }`;
    const fragment = `query { a: files(first: 200) { edges { node { ...Heavy } } } b: files(first: 200) { edges { node { ...Heavy } } } }
      fragment Heavy on DataFile { fields { name } owner { district { departments { code } } } }`;
    const light = `query { a: files(first: 2) { edges { node { ...Heavy } } } } fragment Heavy on DataFile { fields { name } owner { district { departments { code } } } }`;
    expect(refusal(await api.gql(member, inline))).toMatch(/too costly/);
    expect(refusal(await api.gql(member, fragment))).toMatch(/too costly/);
    expect((await api.gql(member, light)).errors).toBeUndefined();
  });

  it('fragments that each spread the next twice are checked in linear time (2^40 expansions would never finish)', async () => {
    const fragments = (type: string) =>
      Array.from({ length: 40 }, (_, i) => `fragment F${i} on ${type} { ...F${i + 1} ...F${i + 1} }`).join(' ');
    expect(refusal(await api.gql(member, `query { me { ...F0 } } ${fragments('Viewer')} fragment F40 on Viewer { subject }`))).toMatch(
      /selects 1,099,511,627,777 fields once fragments are expanded/,
    );
    expect(refusal(await api.gql(member, `query { ...F0 } ${fragments('Query')} fragment F40 on Query { me { subject } }`))).toMatch(
      /top-level fields; the limit is 20/,
    );
  });

  it("a file's audience explains each department it lists: two pages of 200 are too costly, one of 50 is not", async () => {
    const audience = (alias: string, first: number) =>
      `${alias}: fileAudience(fileId: "${file}", action: READ, first: ${first}) { edges { node { department { code } reasons } } }`;
    expect(refusal(await api.gql(auditor, `{ ${audience('a', 200)} ${audience('b', 200)} }`))).toMatch(/too costly/);
    const one = await api.gql(auditor, `{ ${audience('a', 50)} }`);
    expect(one.errors).toBeUndefined();
  });

  it('an auditor may verify one ledger per request, not a hundred', async () => {
    const many = Array.from({ length: 3 }, (_, i) => `v${i}: verifyAuditChain(ledger: "platform") { ok }`).join(' ');
    expect(refusal(await api.gql(auditor, `{ ${many} }`))).toMatch(/too costly/);
    expect(((await api.gql(auditor, `{ verifyAuditChain(ledger: "platform") { ok } }`)).data as any).verifyAuditChain.ok).toBe(true);
  });
});

describe('the database cannot be held by one request', () => {
  it('a statement over the timeout is cancelled and reported as TIMEOUT, without SQL', async () => {
    if (database.embedded)
      return console.log('skipped: the embedded database (single-threaded WebAssembly) does not enforce statement_timeout');
    const ds = await createDataSource({ url: database.url, poolSize: 1, statementTimeoutMs: 100 }).initialize();
    try {
      const failure = await ds.query('SELECT pg_sleep(2)').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(QueryFailedError);
      const formatted = formatError(new GraphQLError('x', { originalError: failure as Error }));
      expect(formatted.extensions?.code).toBe('TIMEOUT');
      expect(formatted.message).not.toMatch(/pg_sleep|SELECT|cancel/i);
    } finally {
      await ds.destroy();
    }
  });

  it('a request that cannot get a connection in time fails with SERVICE_UNAVAILABLE; the next one is served', async () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; the pool test needs a real server');
    const narrow = await startTestApp({ ...database, poolSize: 1 }, { DATABASE_ACQUIRE_TIMEOUT_MS: '200' });
    try {
      const token = await narrow.tokenFor(department);
      await narrow.gql(token, `{ me { subject } }`);
      const holder = narrow.app.get(DataSource).createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      const busy = await narrow.gql(token, `{ files(first: 1) { totalCount } }`);
      await holder.rollbackTransaction();
      await holder.release();
      expect(busy.status).toBe(503);
      expect(busy.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect((await narrow.gql(token, `{ files(first: 1) { totalCount } }`)).errors).toBeUndefined();
    } finally {
      await narrow.close();
    }
  });
});

describe('each department has a request budget', () => {
  it('over the budget: 429 RATE_LIMITED with Retry-After; another department is still served', async () => {
    const limited = await startTestApp(database, { RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const world = new World(await database.dataSource());
      const other = await world.department('rl-civil', await world.district('rl-west'));
      const [alice, bob, carol] = await Promise.all([
        limited.tokenFor(department, ['MEMBER'], 'alice'),
        limited.tokenFor(department, ['MEMBER'], 'bob'),
        limited.tokenFor(other),
      ]);
      for (const token of [alice, bob, alice]) expect((await limited.gql(token, `{ me { subject } }`)).status).toBe(200);
      const refused = await limited.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${bob}` },
        payload: { query: '{ me { subject } }' },
      });
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json().errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(refused.json().errors[0].message).toMatch(/too many requests from your department/);
      expect((await limited.gql(carol, `{ me { subject } }`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('tokens are decided once, before any resolver', () => {
  const sign = (claims: Record<string, unknown>, configure: (jwt: SignJWT) => SignJWT) =>
    configure(
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('someone')
        .setIssuer(api.config.auth.issuer)
        .setAudience(api.config.auth.audience),
    ).sign(api.config.auth.signKey as Uint8Array);

  it('a correctly signed token without exp is refused', async () => {
    const token = await sign({ dept: department.code, roles: ['MEMBER'] }, (jwt) => jwt.setIssuedAt());
    const res = await api.gql(token, `{ me { subject } }`);
    expect(res.status).toBe(401);
    expect(res.errors?.[0].message).toMatch(/no expiry/);
  });

  it('a token living longer than the maximum lifetime is refused', async () => {
    const token = await sign({ dept: department.code, roles: ['MEMBER'] }, (jwt) => jwt.setIssuedAt().setExpirationTime('13h'));
    const res = await api.gql(token, `{ me { subject } }`);
    expect(res.status).toBe(401);
    expect(res.errors?.[0].message).toMatch(/at most 12 hours/);
    const fine = await sign({ dept: department.code, roles: ['MEMBER'] }, (jwt) => jwt.setIssuedAt().setExpirationTime('11h'));
    expect((await api.gql(fine, `{ me { subject } }`)).status).toBe(200);
  });

  it('a token issued in the future is refused: its lifetime would run past the maximum from now', async () => {
    const inTenYears = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
    const token = await sign({ dept: department.code, roles: ['MEMBER'] }, (jwt) =>
      jwt.setIssuedAt(inTenYears).setExpirationTime(inTenYears + 3_600),
    );
    const res = await api.gql(token, `{ me { subject } }`);
    expect(res.status).toBe(401);
    expect(res.errors?.[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: expect.stringMatching(/issued in the future/),
    });
    // A clock a few seconds fast is not refused.
    const now = Math.floor(Date.now() / 1000);
    const skewed = await sign({ dept: department.code, roles: ['MEMBER'] }, (jwt) =>
      jwt.setIssuedAt(now + 20).setExpirationTime(now + 3_600),
    );
    expect((await api.gql(skewed, `{ me { subject } }`)).status).toBe(200);
  });

  it.each(['{ __typename }', '{ __schema { queryType { name } } }', '{ me { subject } }'])(
    'an unknown department is 401 for %s',
    async (query) => {
      const token = await api.tokenFor('no-such-department');
      const res = await api.gql(token, query);
      expect(res.status).toBe(401);
      expect(res.data).toBeNull();
      expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    },
  );
});
