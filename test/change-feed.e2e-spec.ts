/**
 * The change feed across two replicas of the service on one PostgreSQL: a
 * subscriber on one, changes through the other; resuming from a cursor; the
 * pull form agreeing with the subscriptions; and nothing about a file reaching
 * a department that may not discover it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DepartmentRef } from '@app/auth';
import { encodeFeedCursor, EventsService } from '@app/events';
import { MAX_SUBSCRIPTIONS_PER_DEPARTMENT } from '../apps/directory-api/src/events/feed-subscriptions.resolver.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let world: World;
/** Two replicas: subscribers connect to `a`, changes go through `b`. */
let a: TestApp;
let b: TestApp;
let url: string;
let owner: DepartmentRef;
let holder: DepartmentRef;
let neighbour: DepartmentRef;
let outsider: DepartmentRef;
let file: WorldFile;
let outsiderFile: WorldFile;
let ownerSteward: string;
let holderMember: string;
let neighbourMember: string;
let outsiderSteward: string;
let grantId: string;
const clients: Client[] = [];

const EVENT_FIELDS = 'kind ledger seq cursor fileId exchangeId permissionId version actor note';
const FILE_EVENTS = `subscription ($after: String) { fileEvents(after: $after) { ${EVENT_FIELDS} } }`;
const EXCHANGE_EVENTS = `subscription ($after: String) { exchangeEvents(after: $after) { ${EVENT_FIELDS} } }`;
const PULL = `query ($after: String, $first: Int) { events(after: $after, first: $first) { edges { cursor node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const PUBLISH = `mutation ($id: ID!, $records: [JSON!]!) { publishRecords(fileId: $id, records: $records) { version } }`;
const row = (n: number) => ({
  record_id: `r${n}`,
  visit_date: '2026-03-02',
  age: String(30 + n),
  patient_name: 'Wang Fang',
  id_number: `1101011990030745${n}`,
});

const skip = () => {
  if (!database.embedded) return false;
  console.warn('skipped: two replicas need a PostgreSQL server (the embedded database has one session)');
  return true;
};

interface Received {
  events: any[];
  errors: unknown[];
  closed: boolean;
}

function connect(token: string): Client {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

/** Subscribes and collects what arrives. */
function subscribe(client: Client, query: string, after: string | null = null): Received {
  const received: Received = { events: [], errors: [], closed: false };
  client.subscribe(
    { query, variables: { after } },
    {
      next: (value) => (value.errors ? received.errors.push(...value.errors) : received.events.push(Object.values(value.data!)[0])),
      error: (error) => received.errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => (received.closed = true),
    },
  );
  return received;
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Lets the server take the subscription (attach to the listener, find the log's end) before a change is made. */
const settle = () => sleep(500);

async function publish(target: WorldFile, token: string, n: number): Promise<number> {
  const published: any = await b.gql(token, PUBLISH, { id: target.id, records: [row(n)] });
  expect(published.errors).toBeUndefined();
  return published.data.publishRecords.version;
}

async function pullAll(token: string, after: string | null = null, first = 2): Promise<{ events: any[]; endCursor: string }> {
  const events: any[] = [];
  let cursor = after;
  for (;;) {
    const page: any = await a.gql(token, PULL, { after: cursor, first });
    expect(page.errors).toBeUndefined();
    events.push(...page.data.events.edges.map((e: any) => e.node));
    cursor = page.data.events.pageInfo.endCursor;
    if (!page.data.events.pageInfo.hasNextPage) return { events, endCursor: cursor! };
  }
}

const brief = (e: any) => `${e.kind} ${e.fileId ?? e.exchangeId} v${e.version ?? '-'} ${e.ledger}#${e.seq}`;
/** seq is a BigInt, sent as a string. */
const seqOf = (e: any) => Number(e.seq);

beforeAll(async () => {
  database = await createTestDatabase();
  if (database.embedded) return;
  const db = await database.dataSource();
  world = new World(db);
  const east = await world.district('feed-east');
  const west = await world.district('feed-west');
  owner = await world.department('feed-health', east);
  holder = await world.department('feed-civil', east);
  neighbour = await world.department('feed-finance', east);
  outsider = await world.department('feed-west-health', west);
  // INTERNAL: every department of the district may discover it; only the owner and a grant holder are told.
  file = await world.file(owner, 'INTERNAL');
  outsiderFile = await world.file(outsider, 'RESTRICTED');
  grantId = await world.grant({ fileId: file.id, grantee: holder, action: 'READ', grantedBy: 'steward@feed-health' }, file.districtId);
  // Replicas share their token key, as any two replicas of a deployment do.
  const shared = { JWT_SECRET: randomBytes(32).toString('hex') };
  a = await startTestApp(database, shared);
  b = await startTestApp(database, shared);
  await a.app.listen(0, '127.0.0.1');
  url = `ws://127.0.0.1:${(a.app.getHttpServer().address() as AddressInfo).port}/graphql`;
  ownerSteward = await b.tokenFor(owner, ['STEWARD'], 'dr.chen');
  holderMember = await a.tokenFor(holder, ['MEMBER'], 'li.wei');
  neighbourMember = await a.tokenFor(neighbour, ['MEMBER'], 'zhao.min');
  outsiderSteward = await b.tokenFor(outsider, ['STEWARD'], 'dr.sun');
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await a?.close();
  await b?.close();
  await database?.drop();
});

describe('the change feed across two replicas', () => {
  let lastCursor: string;

  it('a subscriber on one replica receives a change made through the other, exactly once', async () => {
    if (skip()) return;
    const holderFeed = subscribe(connect(holderMember), FILE_EVENTS);
    const ownerFeed = subscribe(connect(await a.tokenFor(owner, ['MEMBER'])), FILE_EVENTS);
    await settle();
    expect(await publish(file, ownerSteward, 1)).toBe(1);
    expect(await publish(file, ownerSteward, 2)).toBe(2);
    await until(() => holderFeed.events.length >= 2 && ownerFeed.events.length >= 2, 'two events each');
    await sleep(300); // a duplicate would arrive by now
    expect(holderFeed.errors).toEqual([]);
    expect(holderFeed.events.map(brief)).toEqual([
      `VERSION_PUBLISHED ${file.id} v1 feed-east#${seqOf(holderFeed.events[0])}`,
      `VERSION_PUBLISHED ${file.id} v2 feed-east#${seqOf(holderFeed.events[0]) + 1}`,
    ]);
    expect(ownerFeed.events.map(brief)).toEqual(holderFeed.events.map(brief));
    expect(holderFeed.events[1].actor).toBe('dr.chen@feed-health');
    lastCursor = holderFeed.events[1].cursor;
  });

  it('a department that may not discover the file, or may but holds no grant on it, receives nothing about it', async () => {
    if (skip()) return;
    const outsiderFeed = subscribe(connect(await a.tokenFor(outsider, ['MEMBER'])), FILE_EVENTS);
    const neighbourFeed = subscribe(connect(neighbourMember), FILE_EVENTS);
    await settle();
    await publish(file, ownerSteward, 3);
    // Then a change the outsider is told of (its own file): whatever came before it has arrived too.
    await publish(outsiderFile, outsiderSteward, 1);
    await until(() => outsiderFeed.events.length >= 1, "the outsider's own event");
    await sleep(300);
    expect(outsiderFeed.events.map(brief)).toEqual([`VERSION_PUBLISHED ${outsiderFile.id} v1 feed-west#1`]);
    expect(neighbourFeed.events).toEqual([]);
    const pulled = await pullAll(neighbourMember);
    expect(pulled.events).toEqual([]);
  });

  it('disconnect, changes, resubscribe with the last cursor: what was missed arrives, then live events, nothing lost or repeated', async () => {
    if (skip()) return;
    // Missed while away: version 3 (above), version 4, and the revocation of the holder's grant.
    await publish(file, ownerSteward, 4);
    const revoked: any = await b.gql(ownerSteward, `mutation ($id: ID!) { revokePermission(id: $id, reason: "programme ended") { id } }`, {
      id: grantId,
    });
    expect(revoked.errors).toBeUndefined();
    const resumed = subscribe(connect(holderMember), FILE_EVENTS, lastCursor);
    await until(() => resumed.events.length >= 3, 'the missed events');
    expect(resumed.events.map((e) => [e.kind, e.version, e.note])).toEqual([
      ['VERSION_PUBLISHED', 3, null],
      ['VERSION_PUBLISHED', 4, null],
      ['GRANT_REVOKED', null, 'programme ended'],
    ]);
    expect(resumed.events[2].permissionId).toBe(grantId);
    // Live again. Without its grant the holder is no longer told of new versions; the owner still is.
    const ownerFeed = subscribe(connect(await a.tokenFor(owner, ['MEMBER'])), FILE_EVENTS, resumed.events[2].cursor);
    await settle();
    await publish(file, ownerSteward, 5);
    await until(() => ownerFeed.events.length >= 1, "the owner's live event");
    await sleep(300);
    expect(ownerFeed.events.map((e) => e.version)).toEqual([5]);
    expect(resumed.events).toHaveLength(3);
    const seqs = resumed.events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('the pull form agrees with the subscriptions, page by page, and resumes from any event', async () => {
    if (skip()) return;
    const holderPulled = await pullAll(holderMember);
    expect(holderPulled.events.map(brief)).toEqual(
      [1, 2, 3, 4]
        .map((v, i) => `VERSION_PUBLISHED ${file.id} v${v} feed-east#${seqOf(holderPulled.events[0]) + i}`)
        .concat(`GRANT_REVOKED ${file.id} v- feed-east#${seqOf(holderPulled.events[0]) + 4}`),
    );
    // From the cursor of the second event, the subscription replays exactly the rest.
    const replay = subscribe(connect(holderMember), FILE_EVENTS, holderPulled.events[1].cursor);
    await until(() => replay.events.length >= 3, 'the replay');
    await sleep(300);
    expect(replay.events.map(brief)).toEqual(holderPulled.events.slice(2).map(brief));
    expect(replay.events.map((e) => e.cursor)).toEqual(holderPulled.events.slice(2).map((e) => e.cursor));
    // Polling from endCursor finds nothing new until something happens.
    const again: any = await a.gql(holderMember, PULL, { after: holderPulled.endCursor, first: 10 });
    expect(again.data.events).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: holderPulled.endCursor } });
  });

  it('exchange events reach the requester and the owner, and nobody else', async () => {
    if (skip()) return;
    await world.grant({ fileId: file.id, grantee: holder, action: 'READ', grantedBy: 'steward@feed-health' }, file.districtId);
    const start: any = await a.gql(holderMember, PULL, { first: 1 });
    const requesterFeed = subscribe(connect(holderMember), EXCHANGE_EVENTS);
    const ownerFeed = subscribe(connect(await a.tokenFor(owner, ['STEWARD'])), EXCHANGE_EVENTS);
    const neighbourFeed = subscribe(connect(neighbourMember), EXCHANGE_EVENTS);
    await settle();
    const requested: any = await b.gql(
      await b.tokenFor(holder, ['MEMBER'], 'li.wei'),
      `mutation ($input: RequestExchangeInput!) { requestExchange(input: $input) { id } }`,
      {
        input: { fileId: file.id, fields: ['record_id', 'age'], purpose: 'eligibility checks' },
      },
    );
    expect(requested.errors).toBeUndefined();
    const id = requested.data.requestExchange.id;
    const rejected: any = await b.gql(
      ownerSteward,
      `mutation ($id: ID!) { rejectExchange(id: $id, reason: "ask for fewer fields") { id } }`,
      { id },
    );
    expect(rejected.errors).toBeUndefined();
    await until(() => requesterFeed.events.length >= 2 && ownerFeed.events.length >= 2, 'the exchange events');
    await sleep(300);
    const expected = [
      ['EXCHANGE_REQUESTED', id, null],
      ['EXCHANGE_REJECTED', id, 'ask for fewer fields'],
    ];
    expect(requesterFeed.events.map((e) => [e.kind, e.exchangeId, e.note])).toEqual(expected);
    expect(ownerFeed.events.map((e) => [e.kind, e.exchangeId, e.note])).toEqual(expected);
    expect(neighbourFeed.events).toEqual([]);
    expect(start.errors).toBeUndefined();
  });

  it('a connection whose token is refused is closed; a subscription ends when its token expires; an invalid document or a bad cursor is a BAD_USER_INPUT error', async () => {
    if (skip()) return;
    const refused = subscribe(connect('not-a-token'), FILE_EVENTS);
    await until(() => refused.errors.length > 0 || refused.closed, 'the refusal');
    expect(refused.events).toEqual([]);
    expect(refused.errors.length).toBe(1);
    const unknown = subscribe(
      connect(await a.tokens.mint({ subject: 'x', departmentCode: 'no-such-department', roles: ['MEMBER'] })),
      FILE_EVENTS,
    );
    await until(() => unknown.errors.length > 0 || unknown.closed, 'the refusal of an unknown department');
    expect(unknown.events).toEqual([]);
    const shortLived = subscribe(
      connect(await a.tokens.mint({ subject: 'li.wei', departmentCode: holder.code, roles: ['MEMBER'] }, '2s')),
      FILE_EVENTS,
    );
    await until(() => shortLived.errors.length > 0, 'the end of a subscription whose token expired', 6_000);
    expect(shortLived.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
    const invalid = subscribe(connect(holderMember), 'subscription { fileEvents { kind noSuchField } }');
    await until(() => invalid.errors.length > 0, 'the validation error');
    expect(invalid.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('noSuchField'),
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
    const badCursor = subscribe(connect(holderMember), FILE_EVENTS, 'bm90LWEtY3Vyc29y');
    await until(() => badCursor.errors.length > 0, 'the cursor error');
    expect(badCursor.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    const pulled: any = await a.gql(holderMember, PULL, { after: 'bm90LWEtY3Vyc29y' });
    expect(pulled.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // A city's worth of ledgers fits in a cursor the input limits accept.
    const wide = encodeFeedCursor(new Map(Array.from({ length: 40 }, (_, i) => [`district-number-${i}`, 1_000_000 + i])));
    expect(wide.length).toBeGreaterThan(200);
    const far: any = await a.gql(holderMember, PULL, { after: wide, first: 1 });
    expect(far.errors).toBeUndefined();
  });
  it('a grant about to expire is announced once, however many replicas announce it, to its holder and the owner only', async () => {
    if (skip()) return;
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    const expiring = await world.grant(
      { fileId: file.id, grantee: neighbour, action: 'EXCHANGE', expiresAt: inThreeDays, grantedBy: 'steward@feed-health' },
      file.districtId,
    );
    const before = (await pullAll(neighbourMember)).endCursor;
    const neighbourFeed = subscribe(connect(neighbourMember), FILE_EVENTS);
    const outsiderFeed = subscribe(connect(await a.tokenFor(outsider, ['MEMBER'])), FILE_EVENTS);
    await settle();
    const written = await Promise.all([
      a.app.get(EventsService).announceExpiringGrants(),
      b.app.get(EventsService).announceExpiringGrants(),
    ]);
    expect(written[0] + written[1]).toBe(1);
    expect(await b.app.get(EventsService).announceExpiringGrants()).toBe(0);
    await until(() => neighbourFeed.events.length >= 1, 'the expiry notice');
    await sleep(300);
    expect(neighbourFeed.events.map((e) => [e.kind, e.fileId, e.permissionId, e.actor])).toEqual([
      ['GRANT_EXPIRING', file.id, expiring, 'service:expiry-notices'],
    ]);
    expect(outsiderFeed.events).toEqual([]);
    expect((await pullAll(neighbourMember, before)).events.map(brief)).toEqual(neighbourFeed.events.map(brief));
    const ownerEvents = (await pullAll(await a.tokenFor(owner, ['MEMBER']))).events;
    expect(ownerEvents.filter((e) => e.kind === 'GRANT_EXPIRING').map((e) => e.permissionId)).toEqual([expiring]);
  });
  it('a department holds a bounded number of subscriptions on one replica; closing one frees its place', async () => {
    if (skip()) return;
    const tabs = await world.department('feed-west-tabs', { id: outsider.districtId, code: outsider.districtCode });
    const client = connect(await a.tokenFor(tabs, ['MEMBER'], 'many.tabs'));
    const errors: any[] = [];
    const sink = { next: () => undefined, error: (e: unknown) => errors.push(...(Array.isArray(e) ? e : [e])), complete: () => undefined };
    const closers = Array.from({ length: MAX_SUBSCRIPTIONS_PER_DEPARTMENT }, () => client.subscribe({ query: FILE_EVENTS }, sink));
    await settle();
    expect(errors).toEqual([]);
    client.subscribe({ query: FILE_EVENTS }, sink);
    await until(() => errors.length > 0, 'the refusal of one subscription too many');
    expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) })]);
    closers[0]();
    await settle();
    client.subscribe({ query: FILE_EVENTS }, sink);
    await settle();
    expect(errors).toHaveLength(1);
  });
});
