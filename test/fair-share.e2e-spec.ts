/**
 * No department can starve another with queries the limits admit one by one:
 * each department spends a budget of query cost per minute, and runs a
 * bounded number of requests at once with a bounded queue behind them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import { FairShare, TakenInTurn } from '../apps/directory-api/src/http/fair-share.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let heavy: DepartmentRef;
let neighbour: DepartmentRef;

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  const district = await world.district('fs-north');
  heavy = await world.department('fs-heavy', district);
  neighbour = await world.department('fs-neighbour', district);
  for (let i = 0; i < 3; i += 1) await world.file(heavy, 'PUBLIC');
});

afterAll(async () => {
  await database?.drop();
});

/** Polls until `condition` holds (2 s at most), then asserts it. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

/**
 * A transaction of the app's own pool that locks the exchange table, so that
 * a request reading it runs, holding its turn and its connection, until
 * unlock(); release() ends it either way.
 */
function exchangeTableHolder(api: TestApp) {
  const runner = api.app.get(DataSource).createQueryRunner();
  return {
    async lock() {
      await runner.connect();
      await runner.startTransaction();
      await runner.query('LOCK TABLE exchange IN ACCESS EXCLUSIVE MODE');
    },
    unlock: () => runner.commitTransaction(),
    async release() {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    },
  };
}

const COUNTED_PAGE = `{ files(first: 1) { totalCount } }`;

describe('a budget of query cost per department and minute', () => {
  let api: TestApp;
  beforeAll(async () => {
    // 300,000 a minute is 50,000 every 10 s. A counted page costs a little over 20,000: two fit, a third does not.
    api = await startTestApp(database, { COST_PER_MINUTE: '300000' });
  });
  afterAll(() => api?.close());

  it('is spent by each operation before it runs; the one that does not fit is refused with RATE_LIMITED and Retry-After, and spends nothing', async () => {
    const [alice, bob] = await Promise.all([api.tokenFor(heavy, ['MEMBER'], 'alice'), api.tokenFor(heavy, ['MEMBER'], 'bob')]);
    expect((await api.gql(alice, COUNTED_PAGE)).status).toBe(200);
    expect((await api.gql(bob, COUNTED_PAGE)).status).toBe(200);
    api.queries.reset();
    const refused = await api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${alice}` },
      payload: { query: COUNTED_PAGE },
    });
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(10);
    const [error] = refused.json().errors;
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: retryAfter });
    expect(error.message).toMatch(/spent its query budget for now \(.* of 50,000 every 10 s left/);
    // The refused query never reached the files table.
    expect(api.queries.statements.some((sql) => /data_file/.test(sql))).toBe(false);
    // What is left still buys a cheap query: the refusal spent nothing.
    const cheap = await api.gql(alice, `{ me { subject } }`);
    expect(cheap.status).toBe(200);
    expect(cheap.data?.me.subject).toBe('alice');
  });

  it('is per department: another department of the same district is served in full', async () => {
    const token = await api.tokenFor(neighbour);
    for (let i = 0; i < 2; i += 1) {
      const res = await api.gql(token, COUNTED_PAGE);
      expect(res.errors).toBeUndefined();
      expect(res.data?.files.totalCount).toBeGreaterThanOrEqual(0);
    }
  });

  it('names a query that no budget could ever pay for', async () => {
    const token = await api.tokenFor(heavy, ['MEMBER', 'AUDITOR']);
    const tooBig = `{ a: files(first: 1) { totalCount } b: files(first: 2) { totalCount } c: files(first: 3) { totalCount } }`;
    const res = await api.gql(token, tooBig);
    expect(res.status).toBe(429);
    expect(res.errors?.[0].message).toMatch(/over your department's budget of 50,000 every 10 s/);
  });
});

describe('requests in flight per department', () => {
  it('run at most CONCURRENCY at once with QUEUE waiting; one more is refused at once; other departments are not held up by the queue', async () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; holding a lock needs a real server');
    const api = await startTestApp(database, { CONCURRENCY_PER_DEPARTMENT: '1', QUEUE_PER_DEPARTMENT: '1' });
    const share = api.app.get(FairShare);
    const holder = exchangeTableHolder(api);
    try {
      const [token, other] = await Promise.all([api.tokenFor(heavy), api.tokenFor(neighbour)]);
      const exchanges = `{ exchanges(first: 1) { totalCount } }`;
      // The exchanges table is locked, so a request reading it runs (holding its turn) until the lock goes.
      await holder.lock();
      const first = api.gql(token, exchanges);
      await until(() => share.load(heavy.id).running === 1);
      const second = api.gql(token, exchanges);
      await until(() => share.load(heavy.id).waiting === 1);

      const third = await api.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${token}` },
        payload: { query: '{ me { subject } }' },
      });
      expect(third.statusCode).toBe(429);
      expect(third.headers['retry-after']).toBe('1');
      expect(third.json().errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(third.json().errors[0].message).toMatch(/already has 2 requests in progress/);

      // Another department has its own turns: it is served while the first waits on the lock.
      const meanwhile = await api.gql(other, `{ me { subject } }`);
      expect(meanwhile.status).toBe(200);

      await holder.unlock();
      const [a, b] = await Promise.all([first, second]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.data?.exchanges.totalCount).toBe(0);
      // Every turn was given back.
      await until(() => share.load(heavy.id).running === 0);
      expect(share.load(heavy.id)).toEqual({ running: 0, waiting: 0 });
      expect((await api.gql(token, `{ me { subject } }`)).status).toBe(200);
    } finally {
      await holder.release();
      await api.close();
    }
  });
});

describe('the heavy lane', () => {
  it('serves the departments waiting in turn, so that one with many heavy queries cannot hold back another', async () => {
    const lane = new TakenInTurn(1);
    const order: string[] = [];
    const running = await lane.enter('a');
    const waiters = ['b1', 'b2', 'b3', 'c1', 'd1', 'b4'].map((name) =>
      lane.enter(name[0]).then((leave) => {
        order.push(name);
        leave();
      }),
    );
    expect(lane.queued).toEqual({ b: 4, c: 1, d: 1 });
    running();
    await Promise.all(waiters);
    // b, c and d each take a turn before b takes its second.
    expect(order).toEqual(['b1', 'c1', 'd1', 'b2', 'b3', 'b4']);
    expect(lane.queued).toEqual({});
  });

  it('runs at most its size at once, and a place given back twice is given back once', async () => {
    const lane = new TakenInTurn(2);
    const [first, second] = await Promise.all([lane.enter('a'), lane.enter('b')]);
    let third = false;
    const waiting = lane.enter('c').then((leave) => ((third = true), leave));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    first();
    first();
    const leaveThird = await waiting;
    expect(third).toBe(true);
    // The double release did not open a fourth place.
    let fourth = false;
    const waitingFourth = lane.enter('d').then((leave) => ((fourth = true), leave));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fourth).toBe(false);
    second();
    (await waitingFourth)();
    leaveThird();
    expect(fourth).toBe(true);
  });
});

describe("a department's share of the connection pool", () => {
  it("holds its queries, however many and however parallel, to CONNECTIONS_PER_DEPARTMENT connections; another department's are not held", async () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; holding a lock needs a real server');
    const api = await startTestApp(database, { CONNECTIONS_PER_DEPARTMENT: '1' });
    const share = api.app.get(FairShare);
    const holder = exchangeTableHolder(api);
    try {
      const [token, other] = await Promise.all([api.tokenFor(heavy), api.tokenFor(neighbour)]);
      await holder.lock();
      // A page and its count run in parallel: with one connection to its name, the second statement waits for the first.
      const blocked = api.gql(token, `{ exchanges(first: 1) { totalCount } }`);
      await until(() => share.connectionLoad(heavy.id).held === 1 && share.connectionLoad(heavy.id).waiting >= 1);
      let filesDone = false;
      const files = api.gql(token, `{ files(first: 1) { totalCount } }`).then((res) => ((filesDone = true), res));
      await until(() => share.connectionLoad(heavy.id).waiting >= 2);
      // The pool has free connections, but not for this department: its next query waits.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(filesDone).toBe(false);
      const meanwhile = await api.gql(other, `{ files(first: 1) { totalCount } }`);
      expect(meanwhile.errors).toBeUndefined();
      expect(share.connectionLoad(neighbour.id)).toEqual({ held: 0, waiting: 0 });

      await holder.unlock();
      const [a, b] = await Promise.all([blocked, files]);
      expect(a.errors).toBeUndefined();
      expect(b.errors).toBeUndefined();
      await until(() => share.connectionLoad(heavy.id).held === 0);
      expect(share.connectionLoad(heavy.id)).toEqual({ held: 0, waiting: 0 });
    } finally {
      await holder.release();
      await api.close();
    }
  });
});

describe('a heavy query keeps to one database connection', () => {
  it('runs its parallel statements one at a time, so that it holds one database core at most', async () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; holding a lock needs a real server');
    // Every operation is heavy here; a department may otherwise hold 3 connections.
    const api = await startTestApp(database, { HEAVY_QUERY_COST: '1', CONNECTIONS_PER_DEPARTMENT: '3' });
    const db = await database.dataSource();
    const holder = exchangeTableHolder(api);
    const waitingOnLock = async () =>
      (
        await db.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'directory-api' AND wait_event_type = 'Lock'`,
        )
      )[0].n;
    try {
      const token = await api.tokenFor(heavy);
      await holder.lock();
      // The page and its count run in parallel, both reading the locked table.
      const blocked = api.gql(token, `{ exchanges(first: 1) { totalCount } }`);
      for (let i = 0; i < 200 && (await waitingOnLock()) === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await waitingOnLock()).toBe(1);
      await holder.unlock();
      const done = await blocked;
      expect(done.errors).toBeUndefined();
    } finally {
      await holder.release();
      await api.close();
    }
  });
});
