/**
 * The API keeps no state of its own between requests: two instances on one
 * database answer as one. A grant made through one is in force through the
 * other at once, and so is its revocation; a file registered through one is
 * listed by the other.
 *
 * With a streaming replica (DATABASE_REPLICA_URLS), read-only requests are
 * served by the replica, and a department that has just written reads from
 * the primary: shown on a real replica of a throwaway primary, whose replay
 * is paused to make the lag as long as the test needs.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import { createDataSource, migrateDatabase } from '@app/database';
import { migrations } from '../migrations/index.js';
import { freePort, localReplicaUnavailable, startLocalReplica, type LocalReplica } from '../bench/local-replica.js';
import { createThrowawayCluster, throwawayClusterUnavailable, type ThrowawayCluster } from '../bench/throwaway-cluster.js';
import { createTestDatabase, withAdminClient, withDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let first: TestApp;
let second: TestApp;
let owner: DepartmentRef;
let reader: DepartmentRef;
let file: WorldFile;

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  owner = await world.department('rep-health', await world.district('rep-east'));
  reader = await world.department('rep-police', await world.district('rep-west'));
  file = await world.file(owner, 'RESTRICTED');
  // Two instances, each with its own pool, caches and limits, on one database; their secrets shared, as replicas' are.
  const shared = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
  first = await startTestApp(database, shared);
  second = await startTestApp(database, shared);
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await database?.drop();
});

const ACCESS = `query ($id: ID!) { file(id: $id) { id myAccess } }`;

it('a grant through one instance is in force through the other at once, and so is its revocation', async () => {
  if (database.embedded) return console.log('skipped: the embedded database has one session, so one instance at a time');
  const readerToken = await second.tokenFor(reader);
  // Seen through the second instance first, so that anything it might cache is warm.
  expect((await second.gql(readerToken, ACCESS, { id: file.id })).data).toEqual({ file: null });

  const steward = await first.tokenFor(owner, ['STEWARD']);
  const granted: any = await first.gql(steward, `mutation ($input: GrantPermissionInput!) { grantPermission(input: $input) { id } }`, {
    input: { fileId: file.id, granteeDepartmentCode: reader.code, actions: ['READ'], purpose: 'two instances, one truth' },
  });
  expect(granted.errors).toBeUndefined();
  expect((await second.gql(readerToken, ACCESS, { id: file.id })).data).toEqual({ file: { id: file.id, myAccess: ['DISCOVER', 'READ'] } });

  const revoked = await second.gql(
    await second.tokenFor(owner, ['STEWARD']),
    `mutation ($id: ID!) { revokePermission(id: $id, reason: "done") { id } }`,
    {
      id: granted.data.grantPermission.id,
    },
  );
  expect(revoked.errors).toBeUndefined();
  expect((await first.gql(await first.tokenFor(reader), ACCESS, { id: file.id })).data).toEqual({ file: null });
});

it('a file registered through one instance is listed by the other', async () => {
  if (database.embedded) return console.log('skipped: the embedded database has one session, so one instance at a time');
  const registered: any = await first.gql(
    await first.tokenFor(owner, ['STEWARD']),
    `mutation ($input: RegisterFileInput!) { registerFile(input: $input) { id } }`,
    {
      input: {
        code: 'rep-beds',
        title: 'Hospital beds by ward',
        classification: 'PUBLIC',
        category: 'health',
        format: 'csv',
        fields: [{ name: 'ward', type: 'string' }],
      },
    },
  );
  expect(registered.errors).toBeUndefined();
  const listed: any = await second.gql(
    await second.tokenFor(reader),
    `{ files(first: 5, filter: { search: "Hospital beds by ward" }) { edges { node { id } } } }`,
  );
  expect(listed.data.files.edges.map((e: any) => e.node.id)).toContain(registered.data.registerFile.id);
});

describe('reads from a streaming replica', () => {
  let skipped: string | undefined;
  let primary: ThrowawayCluster | undefined;
  let replica: LocalReplica | undefined;
  let primaryDb: DataSource;
  let standby: pg.Client | undefined;
  let app: TestApp;
  let other: TestApp;
  let writer: DepartmentRef;
  let bystander: DepartmentRef;

  const FILE = `query ($id: ID!) { file(id: $id) { id } }`;
  /** What the replica has replayed, in the primary's WAL: the lag is the distance to the primary's current position. */
  const replayed = async () => (await standby!.query<{ lsn: string }>('SELECT pg_last_wal_replay_lsn()::text AS lsn')).rows[0].lsn;
  const caughtUp = async () => {
    const [{ lsn }] = await primaryDb.query<{ lsn: string }[]>('SELECT pg_current_wal_lsn()::text AS lsn');
    for (let i = 0; i < 200; i++) {
      const { rows } = await standby!.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
      if (rows[0].ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the replica did not replay up to ${lsn} (at ${await replayed()})`);
  };
  /** Replay stops: whatever the primary commits now is not on the replica until `resume`. */
  const pause = async () => {
    await caughtUp();
    await standby!.query('SELECT pg_wal_replay_pause()');
    while ((await standby!.query<{ s: string }>('SELECT pg_get_wal_replay_pause_state() AS s')).rows[0].s !== 'paused')
      await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const resume = async () => {
    await standby!.query('SELECT pg_wal_replay_resume()');
    await caughtUp();
  };

  beforeAll(async () => {
    skipped = database.embedded
      ? 'the embedded database has no streaming replication'
      : (throwawayClusterUnavailable() ?? localReplicaUnavailable());
    if (skipped) return;
    // A primary of its own: a base backup of the shared server would copy every database on it.
    primary = await createThrowawayCluster(await freePort());
    await withAdminClient(primary.url, (c) => c.query('CREATE DATABASE directory'));
    const url = withDatabase(primary.url, 'directory');
    await migrateDatabase(url, migrations);
    primaryDb = await createDataSource({ url, poolSize: 2 }).initialize();
    const world = new World(primaryDb);
    writer = await world.department('rr-health', await world.district('rr-east'));
    bystander = await world.department('rr-police', await world.district('rr-west'));
    replica = await startLocalReplica({ primaryUrl: primary.url, port: await freePort(), dir: await mkdtemp(join(tmpdir(), 'replica-')) });
    standby = new pg.Client({ connectionString: replica.url('directory') });
    await standby.connect();
    expect((await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(true);
    const primaryDatabase: TestDatabase = {
      url,
      embedded: false,
      poolSize: 4,
      dataSource: () => Promise.resolve(primaryDb),
      drop: () => Promise.resolve(),
    };
    // Two instances, as in production: a department's next request may reach either.
    const env = {
      DATABASE_REPLICA_URLS: replica.url('directory'),
      READ_YOUR_WRITES_MS: '600000',
      JWT_SECRET: randomBytes(32).toString('hex'),
      AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    app = await startTestApp(primaryDatabase, env);
    other = await startTestApp(primaryDatabase, env);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await other?.close();
    await standby?.end();
    await primaryDb?.destroy();
    await replica?.drop();
    await primary?.drop();
  });

  it('a read-only request is served by the replica: a row the replica has not replayed yet is not seen', async () => {
    if (skipped) return console.log(`skipped: no second cluster can be made here (${skipped})`);
    await pause();
    const file = await new World(primaryDb).file(writer, 'PUBLIC', { title: 'written behind the replica' });
    // On the primary, committed; through the service, not yet: the read went to the paused replica.
    expect(await primaryDb.query('SELECT id FROM data_file WHERE id = $1', [file.id])).toHaveLength(1);
    expect((await app.gql(await app.tokenFor(bystander), FILE, { id: file.id })).data).toEqual({ file: null });
    await resume();
    expect((await app.gql(await app.tokenFor(bystander), FILE, { id: file.id })).data).toEqual({ file: { id: file.id } });
  });

  it('after its mutation a department reads its own write from the primary, while others still read the lagging replica', async () => {
    if (skipped) return console.log(`skipped: no second cluster can be made here (${skipped})`);
    await pause();
    const registered: any = await app.gql(
      await app.tokenFor(writer, ['STEWARD']),
      `mutation ($input: RegisterFileInput!) { registerFile(input: $input) { id title owner { code } } }`,
      {
        input: {
          code: 'rr-beds',
          title: 'Beds written while the replica lags',
          classification: 'PUBLIC',
          category: 'health',
          format: 'csv',
          fields: [{ name: 'ward', type: 'string' }],
        },
      },
    );
    expect(registered.errors).toBeUndefined();
    const id = registered.data.registerFile.id;
    expect(registered.data.registerFile.owner).toEqual({ code: writer.code });
    // The writer's department (a member as well as the steward that wrote) reads from the primary, through either instance.
    expect((await other.gql(await other.tokenFor(writer), FILE, { id })).data).toEqual({ file: { id } });
    expect((await app.gql(await app.tokenFor(writer), FILE, { id })).data).toEqual({ file: { id } });
    expect((await other.gql(await other.tokenFor(bystander), FILE, { id })).data).toEqual({ file: null });
    await resume();
    expect((await app.gql(await app.tokenFor(bystander), FILE, { id })).data).toEqual({ file: { id } });
  });

  it('with the replica down, reads go to the primary', async () => {
    if (skipped) return console.log(`skipped: no second cluster can be made here (${skipped})`);
    const file = await new World(primaryDb).file(writer, 'PUBLIC', { title: 'read with the replica down' });
    await standby!.end();
    standby = undefined;
    await replica!.stop();
    expect((await app.gql(await app.tokenFor(bystander), FILE, { id: file.id })).data).toEqual({ file: { id: file.id } });
  });
});
