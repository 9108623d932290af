/**
 * Hostile callers over WebSocket: a message that starts an operation is
 * checked before the GraphQL driver reads it, under the same bounds as an
 * HTTP request, and refused with a coded error; a department's messages are
 * counted, and a flood past its budget closes the connection unread.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { CONNECTION_INIT_SECONDS } from '../apps/directory-api/src/events/subscription-guard.js';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

const MESSAGES_PER_MINUTE = 40;

let database: TestDatabase;
let api: TestApp;
let member: string;
let url: string;
let department: DepartmentRef;

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  department = await world.department('hs-health', await world.district('hs-east'));
  api = await startTestApp(database, { RATE_LIMIT_PER_MINUTE: String(MESSAGES_PER_MINUTE) });
  await api.app.listen(0, '127.0.0.1');
  url = `ws://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/graphql`;
  member = await api.tokenFor(department, ['MEMBER'], 'member');
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** A graphql-transport-ws connection, acknowledged; its messages as they come. */
async function connect(token = member) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const received: Record<string, any>[] = [];
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8'))));
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  const next = async (where: (m: Record<string, any>) => boolean, ms = 5_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const found = received.find(where);
      if (found) return found;
      if (Date.now() > until || socket.readyState !== WebSocket.OPEN) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  expect(await next((m) => m.type === 'connection_ack')).toBeDefined();
  return { socket, received, next };
}

/** The error the server answers a start with. */
async function refusalOf(payload: unknown) {
  const { socket, next } = await connect();
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload }));
  const answer = await next((m) => m.id === '1');
  socket.close();
  expect(answer?.type).toBe('error');
  const [error] = answer!.payload as { message: string; extensions?: { code?: string } }[];
  expect(error.extensions?.code).toMatch(/^(BAD_USER_INPUT|PAYLOAD_TOO_LARGE)$/);
  expect(JSON.stringify(answer)).not.toMatch(/\bat \w+ \(|node_modules|\/src\/|Cannot read properties/);
  return error.message;
}

describe('a start is checked before the driver reads it', () => {
  it.each<[string, unknown, RegExp]>([
    ['more tokens than the limit', { query: `subscription { fileEvents { ${'a: seq '.repeat(3_000)} } }` }, /more than 5,000 tokens/],
    ['text nested past the limit', { query: `subscription { fileEvents ${'{ a '.repeat(100)}${'}'.repeat(100)} }` }, /nested more than/],
    ['a syntax error', { query: 'subscription { fileEvents { seq }' }, /Syntax Error/],
    ['a syntax tree instead of text', { query: { kind: 'Document', definitions: [] } }, /must be the text/],
    ['an operation name the document lacks', { query: 'subscription A { fileEvents { seq } }', operationName: 'B' }, /operationName/],
    ['a query', { query: '{ me { subject } }' }, /only subscriptions are served over WebSocket; send a query over HTTP/],
    ['variables of the wrong type', { query: 'subscription ($a: String) { fileEvents(after: $a) { seq } }', variables: { a: [1] } }, /\$a/],
    // Past the guard, refused by the resolver's own checks: the error still carries its code.
    [
      'a NUL character in an argument',
      { query: 'subscription ($a: String) { fileEvents(after: $a) { seq } }', variables: { a: 'x\u0000' } },
      /contains a NUL character/,
    ],
    [
      'a list longer than any argument takes',
      { query: 'subscription ($a: [String!]) { fileEvents { seq } }', variables: { a: Array(20_001).fill('') } },
      /\$a holds 20,001 items; no list takes more than 20,000/,
    ],
  ])('%s', async (_name, payload, message) => {
    expect(await refusalOf(payload)).toMatch(message);
  });
});

it.each([
  ['not JSON', 'hello', 'a message is a JSON object with a type'],
  ['an unknown type', JSON.stringify({ type: 'shout' }), 'unknown message type'],
])('a message that is %s closes the connection (4400), as graphql-transport-ws says', async (_name, text, reason) => {
  const { socket } = await connect();
  const closed = once(socket, 'close');
  socket.send(text);
  const [code, why] = (await closed) as [number, Buffer];
  expect(code).toBe(4400);
  expect(why.toString('utf8')).toBe(reason);
});

it('a message over 64 KiB closes the connection unread (1009)', async () => {
  const { socket } = await connect();
  const closed = once(socket, 'close');
  socket.send(
    JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { fileEvents { seq } } #${'x'.repeat(70_000)}` } }),
  );
  const [code] = (await closed) as [number];
  expect(code).toBe(1009);
});

it('a department past its messages a minute has its connection closed; another department is not affected', async () => {
  const { socket } = await connect();
  const closed = once(socket, 'close');
  for (let i = 0; i < MESSAGES_PER_MINUTE + 5; i++) socket.send(JSON.stringify({ id: `${i}`, type: 'subscribe', payload: { query: '{' } }));
  const [code, reason] = (await closed) as [number, Buffer];
  expect(code).toBe(1008);
  expect(String(reason)).toMatch(/messages a minute from your department/);
  // Counted per department: another department's connection still works.
  const world = new World(await database.dataSource());
  const neighbour = await api.tokenFor(await world.department('hs-civil', await world.district('hs-west')), ['MEMBER'], 'neighbour');
  const other = await connect(neighbour);
  other.socket.send(JSON.stringify({ id: 'n', type: 'subscribe', payload: { query: '{ me { subject } }' } }));
  expect((await other.next((m) => m.id === 'n'))?.type).toBe('error');
  other.socket.close();
});

describe('before a connection is known', () => {
  /** A socket opened and nothing else. */
  async function open() {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    await once(socket, 'open');
    return socket;
  }

  it('a token whose signature does not verify spends its own budget, not the department it names', async () => {
    const world = new World(await database.dataSource());
    const victim = await world.department('hs-victim', await world.district('hs-north'));
    const forged = [
      { alg: 'HS256', typ: 'JWT' },
      { sub: 'x', dept: victim.code, roles: ['MEMBER'], exp: 4_000_000_000 },
    ]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .concat('AAAA')
      .join('.');
    const attacker = await open();
    const gone = once(attacker, 'close');
    attacker.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${forged}` } }));
    for (let i = 0; i < MESSAGES_PER_MINUTE + 5; i++) attacker.send(JSON.stringify({ type: 'ping' }));
    await gone;
    // The department it named still has its whole budget.
    const real = await connect(await api.tokenFor(victim, ['MEMBER'], 'victim'));
    real.socket.send(JSON.stringify({ id: 'v', type: 'subscribe', payload: { query: '{ me { subject } }' } }));
    expect((await real.next((m) => m.id === 'v'))?.type).toBe('error');
    expect(real.socket.readyState).toBe(WebSocket.OPEN);
    real.socket.close();
  });

  it('an operation started before connection_init closes the connection (4401), unread', async () => {
    const socket = await open();
    const closed = once(socket, 'close');
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { fileEvents { seq } }' } }));
    const [code] = (await closed) as [number];
    expect(code).toBe(4401);
  });

  it(
    `a connection that sends no connection_init is closed after ${CONNECTION_INIT_SECONDS} s (4408)`,
    async () => {
      const socket = await open();
      const started = Date.now();
      const [code] = (await once(socket, 'close')) as [number];
      expect(code).toBe(4408);
      expect(Date.now() - started).toBeGreaterThanOrEqual(CONNECTION_INIT_SECONDS * 1000 - 100);
    },
    (CONNECTION_INIT_SECONDS + 10) * 1000,
  );
});
