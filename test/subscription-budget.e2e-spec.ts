/**
 * Subscriptions spend from the department's budget of query cost, as queries
 * do: a start is priced (a resume from a cursor replays the log, and costs
 * it), refused with RATE_LIMITED when it does not fit, and each event is
 * charged, so that subscriptions and queries share one budget.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DepartmentRef } from '@app/auth';
import { FairShare } from '../apps/directory-api/src/http/fair-share.js';
import { SUBSCRIPTION_REPLAY_COST } from '../apps/directory-api/src/events/subscription-cost.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let api: TestApp;
let share: FairShare;
let url: string;
let busy: DepartmentRef;
let quiet: DepartmentRef;
let owner: DepartmentRef;
let file: WorldFile;
const clients: Client[] = [];

/** One object per event: a subscription's selection costs 1, its events 1 each. */
const FEED = `subscription ($after: String) { fileEvents(after: $after) { kind fileId version } }`;
const LIVE = `subscription { fileEvents { kind fileId version } }`;
const START_WITH_CURSOR = 1 + SUBSCRIPTION_REPLAY_COST;
// 60,600 a minute is 10,100 every 10 s: two resumed starts fit (10,002), a third does not.
const COST_PER_MINUTE = 60_600;
const WINDOW = (COST_PER_MINUTE * 10) / 60;

interface Feed {
  events: any[];
  errors: any[];
}

function subscribe(token: string, query: string, after?: string): Feed {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  clients.push(client);
  const feed: Feed = { events: [], errors: [] };
  client.subscribe(
    { query, variables: after === undefined ? {} : { after } },
    {
      next: (value) => (value.errors ? feed.errors.push(...value.errors) : feed.events.push(value.data!.fileEvents)),
      error: (error) => feed.errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => undefined,
    },
  );
  return feed;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const remaining = (department: DepartmentRef) => share.remaining(department.id);

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  const district = await world.district('sb-north');
  busy = await world.department('sb-busy', district);
  quiet = await world.department('sb-quiet', district);
  owner = await world.department('sb-owner', district);
  file = await world.file(owner, 'RESTRICTED');
  await world.grant({ fileId: file.id, grantee: quiet, action: 'READ', grantedBy: 'steward@sb-owner' }, file.districtId);
  api = await startTestApp(database, { COST_PER_MINUTE: String(COST_PER_MINUTE) });
  share = api.app.get(FairShare);
  await api.app.listen(0, '127.0.0.1');
  url = `ws://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await api?.close();
  await database?.drop();
});

describe('subscriptions spend the department budget', () => {
  it('a start is spent before it runs; the one that does not fit is refused with RATE_LIMITED and spends nothing; queries share what is left', async () => {
    const token = await api.tokenFor(busy);
    const pulled: any = await api.gql(token, `{ events(first: 1) { pageInfo { endCursor } } }`);
    const cursor = pulled.data.events.pageInfo.endCursor as string;
    const before = await remaining(busy);
    const first = subscribe(token, FEED, cursor);
    await until(async () => (await remaining(busy)) === before - START_WITH_CURSOR, 'the first start spent');
    const second = subscribe(token, FEED, cursor);
    await until(async () => (await remaining(busy)) === before - 2 * START_WITH_CURSOR, 'the second start spent');
    const third = subscribe(token, FEED, cursor);
    await until(() => third.errors.length > 0, 'the refusal');
    expect(third.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/spent its query budget for now \(.* of 10,100 every 10 s left, this query needs 5,001\)/),
        extensions: expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) }),
      }),
    ]);
    expect(await remaining(busy)).toBe(before - 2 * START_WITH_CURSOR);
    expect([...first.errors, ...second.errors]).toEqual([]);
    // A query that a fresh window would pay for finds the budget spent by the subscriptions.
    const page = `{ events(first: 100) { edges { node { kind } } } }`;
    expect(await remaining(busy)).toBeLessThan(200);
    const refused = await api.gql(token, page);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // Another department's budget is its own.
    const other = subscribe(await api.tokenFor(owner), FEED, cursor);
    await until(async () => (await remaining(owner)) === WINDOW - START_WITH_CURSOR, "another department's start");
    expect(other.errors).toEqual([]);
  });

  it('a live subscription costs its selection to start, and each event it receives is charged', async () => {
    const feed = subscribe(await api.tokenFor(quiet), LIVE);
    await until(async () => (await remaining(quiet)) === WINDOW - 1, 'the start spent');
    await sleep(300); // the subscription attaches to the log's end before the publications
    const steward = await api.tokenFor(owner, ['STEWARD']);
    for (let n = 1; n <= 3; n += 1) {
      const published: any = await api.gql(
        steward,
        `mutation ($id: ID!) { publishRecords(fileId: $id, records: [{ record_id: "r${n}" }]) { version } }`,
        {
          id: file.id,
        },
      );
      expect(published.errors).toBeUndefined();
    }
    await until(() => feed.events.length >= 3, 'three events');
    await until(async () => (await remaining(quiet)) === WINDOW - 1 - 3, 'the events charged');
    expect(feed.events.map((e) => e.version)).toEqual([1, 2, 3]);
    // The publications were the owner's to pay for, not the subscriber's.
    expect(await remaining(quiet)).toBe(WINDOW - 4);
  });
});
