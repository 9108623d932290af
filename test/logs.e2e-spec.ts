/**
 * What the service writes to its log: one JSON line per request with its id,
 * department, operation, duration and outcome; client mistakes at debug with
 * no stack; internal failures at error with the stack and the request id; and
 * never a token or a delivered value.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let owner: DepartmentRef;
let file: WorldFile;
let steward: string;
const lines: Record<string, any>[] = [];
let raw = '';

const SECRET_VALUE = 'Wang-Fang-110101199003074512';

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  owner = await world.department('lg-health', await world.district('lg-east'));
  file = await world.file(owner, 'PUBLIC');
  const destination = {
    write(chunk: string) {
      raw += chunk;
      lines.push(JSON.parse(chunk) as Record<string, any>);
    },
  };
  api = await startTestApp(database, { LOG_LEVEL: 'debug' }, destination);
  steward = await api.tokenFor(owner, ['STEWARD'], 'steward');
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('request logs', () => {
  it("Nest's own messages are JSON lines of the same logger", () => {
    expect(lines.find((l) => l.msg === 'Nest application successfully started')).toMatchObject({ level: 30, context: 'NestApplication' });
    expect(
      raw
        .split('\n')
        .filter(Boolean)
        .every((line) => line.startsWith('{')),
    ).toBe(true);
  });

  it('one line per request: request id, department, operation, duration, outcome', async () => {
    lines.length = 0;
    const response = await api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${steward}`, 'x-request-id': 'trace-42' },
      payload: { query: 'query Mine { me { subject } }' },
    });
    expect(response.headers['x-request-id']).toBe('trace-42');
    const requestLines = lines.filter((l) => l.msg === 'request');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: 30,
      reqId: 'trace-42',
      department: owner.code,
      operation: 'Mine',
      outcome: 'OK',
      status: 200,
    });
    expect(typeof requestLines[0].ms).toBe('number');
  });

  it('a client mistake is logged at debug, without a stack, and its line carries the outcome code', async () => {
    lines.length = 0;
    const response = await api.gql(steward, `{ file(id: 1 }`);
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    const debug = lines.find((l) => l.msg === 'client error');
    expect(debug).toMatchObject({ level: 20, code: 'BAD_USER_INPUT', reqId: response.requestIds![0] });
    expect(JSON.stringify(lines)).not.toMatch(/"stack"|\bat \w+ \(/);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ outcome: 'BAD_USER_INPUT', status: 400 });
  });

  it('never a token, and never a published or delivered value', async () => {
    await api.gql(steward, `mutation ($id: ID!, $r: [JSON!]!) { publishRecords(fileId: $id, records: $r) { version } }`, {
      id: file.id,
      r: [{ record_id: SECRET_VALUE }],
    });
    await api.gql(steward, `mutation ($id: ID!, $r: [JSON!]!) { publishRecords(fileId: $id, records: $r) { version } }`, {
      id: file.id,
      r: [{ nope: SECRET_VALUE }],
    });
    expect(raw).not.toContain(steward);
    expect(raw).not.toContain(steward.split('.')[2]);
    expect(raw).not.toContain(SECRET_VALUE);
  });

  it('an internal failure is logged at error with its stack and request id; the client sees neither', async () => {
    lines.length = 0;
    await db.query('ALTER TABLE exchange RENAME TO exchange_moved');
    try {
      const response = await api.gql(steward, `{ exchanges { totalCount } }`);
      expect(response.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(response.errors?.[0].message).toBe('internal error; it has been logged');
      const logged = lines.find((l) => l.level === 50);
      expect(logged).toMatchObject({ msg: 'internal error', reqId: response.requestIds![0] });
      expect(logged!.err.stack).toMatch(/relation "exchange" does not exist|QueryFailedError/);
    } finally {
      await db.query('ALTER TABLE exchange_moved RENAME TO exchange');
    }
  });
});

describe('a client that hangs up mid-body', () => {
  it('is logged as a client error, not as a database fault', async () => {
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    lines.length = 0;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${steward}\r\nX-Request-Id: hung-up-1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":`,
    );
    await new Promise((done) => setTimeout(done, 100));
    socket.resetAndDestroy();
    for (let i = 0; i < 50 && !lines.some((l) => l.reqId === 'hung-up-1' && l.msg !== 'request'); i++) {
      await new Promise((done) => setTimeout(done, 20));
    }
    const about = lines.filter((l) => l.reqId === 'hung-up-1');
    expect(about.map((l) => l.msg)).not.toContain('database fault');
    expect(about).toContainEqual(expect.objectContaining({ msg: 'client error', level: 20, code: 'BAD_USER_INPUT' }));
  });
});
