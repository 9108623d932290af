/**
 * The service the console stories run against: a fresh PostgreSQL database
 * migrated by the real migrations, a small pilot plus a few known files
 * registered and published through the GraphQL API, and the console served
 * with the development sign-in. Started by Playwright's webServer.
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { Tokens, type Role } from '@app/auth';
import { createDataSource, isListening, migrateDatabase, startEmbeddedPostgres } from '@app/database';
import { seedPilot } from '@app/directory';
import { migrations } from '../migrations/index.js';
import { createApp } from '../apps/directory-api/src/bootstrap.js';
import { loadApiConfig } from '../apps/directory-api/src/config.js';
import { CONSOLE_E2E_PORT, KNOWN } from '../apps/directory-console/e2e/known.js';

const DATABASE = `console_e2e_${CONSOLE_E2E_PORT}`;

async function database(): Promise<{ url: string; poolSize: number; drop: () => Promise<void> }> {
  const server =
    process.env.DATABASE_URL ?? ((await isListening('127.0.0.1', 5432)) ? 'postgres://postgres@127.0.0.1:5432/postgres' : undefined);
  if (!server) {
    const embedded = await startEmbeddedPostgres(undefined);
    return { url: embedded.url, poolSize: 1, drop: () => embedded.stop() };
  }
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  // A fixed name: a run that was killed leaves nothing behind that the next does not drop.
  await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DATABASE}`);
  const url = new URL(server);
  url.pathname = `/${DATABASE}`;
  return { url: url.toString(), poolSize: 5, drop: () => admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`) };
}

async function main(): Promise<void> {
  const db = await database();
  await migrateDatabase(db.url, migrations);
  const ds = await createDataSource({ url: db.url, poolSize: 1 }).initialize();
  await seedPilot(ds, { districtCode: 'beijing', files: 600, permissions: 60, seed: 7 });
  await ds.destroy();

  const auditKey = generateKeyPairSync('ed25519');
  const config = loadApiConfig({
    JWT_SECRET: randomBytes(32).toString('hex'),
    AUDIT_SIGNING_KEY: auditKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    // Receipts need a signed checkpoint; sign one within a second of any entry.
    AUDIT_CHECKPOINT_EVERY_SECONDS: '1',
    HOST: '127.0.0.1',
    PORT: String(CONSOLE_E2E_PORT),
  });
  const tokens = new Tokens(config.auth);
  const app = await createApp({ config, database: { url: db.url, poolSize: db.poolSize }, logger: false, console: { devTokens: tokens } });

  const gql = async (department: string, roles: Role[], query: string, variables: Record<string, unknown>) => {
    const token = await tokens.mint({ subject: 'seed', departmentCode: department, roles });
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { query, variables },
    });
    const body = response.json<{ data?: Record<string, { id: string }>; errors?: unknown[] }>();
    if (body.errors) throw new Error(`seeding failed: ${JSON.stringify(body.errors)}`);
    return body.data!;
  };
  for (const file of KNOWN.files) {
    const { registerFile } = await gql(
      KNOWN.owner,
      ['STEWARD'],
      `mutation ($input: RegisterFileInput!) { registerFile(input: $input) { id } }`,
      { input: file.register },
    );
    await gql(
      KNOWN.owner,
      ['STEWARD'],
      `mutation ($id: ID!, $records: [JSON!]!) { publishRecords(fileId: $id, records: $records) { id } }`,
      { id: registerFile.id, records: file.records },
    );
  }

  // The receipt the member downloads is checked with this public key.
  const keyFile = process.env.CONSOLE_E2E_PUBLIC_KEY;
  if (keyFile) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, auditKey.publicKey.export({ format: 'pem', type: 'spki' }).toString());
  }

  await app.listen(CONSOLE_E2E_PORT, '127.0.0.1');
  console.log(`console stories: service on http://127.0.0.1:${CONSOLE_E2E_PORT}/console`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app
        .close()
        .then(() => db.drop())
        .finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
