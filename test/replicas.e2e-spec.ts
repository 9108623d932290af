/**
 * The API keeps no state of its own between requests: two instances on one
 * database answer as one. A grant made through one is in force through the
 * other at once, and so is its revocation; a file registered through one is
 * listed by the other.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from './test-database.js';
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
