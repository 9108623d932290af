/**
 * One replica, on whichever database the suite runs: on PostgreSQL it listens
 * for notifications; on the embedded database (one session, nothing to listen
 * with) it polls the ledgers. Either way a subscriber is told once.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let api: TestApp;
let owner: DepartmentRef;
let file: WorldFile;

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  owner = await world.department('single-health', await world.district('single-east'));
  file = await world.file(owner, 'RESTRICTED');
  api = await startTestApp(database);
  await api.app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

it(`a subscriber is told of a new version once (${process.env.TEST_DATABASE === 'embedded' ? 'polling' : 'listening'})`, async () => {
  const url = `ws://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/graphql`;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await api.tokenFor(owner, ['MEMBER'])}` },
    retryAttempts: 0,
  });
  const events: any[] = [];
  try {
    client.subscribe(
      { query: 'subscription { fileEvents { kind fileId version } }' },
      { next: (v) => events.push(v.data?.fileEvents), error: () => undefined, complete: () => undefined },
    );
    await sleep(700);
    const published: any = await api.gql(
      await api.tokenFor(owner, ['STEWARD']),
      `mutation ($id: ID!) { publishRecords(fileId: $id, records: [{ record_id: "r1" }]) { version } }`,
      { id: file.id },
    );
    expect(published.errors).toBeUndefined();
    const deadline = Date.now() + 10_000;
    while (events.length === 0 && Date.now() < deadline) await sleep(20);
    await sleep(1200); // longer than a poll: a repeat would have arrived
    expect(events).toEqual([{ kind: 'VERSION_PUBLISHED', fileId: file.id, version: 1 }]);
  } finally {
    await client.dispose();
  }
});
