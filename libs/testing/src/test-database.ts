import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDataSource, migrateDatabase, startEmbeddedPostgres, type QueryCounter } from '@app/database';
import type { DataSource } from 'typeorm';
// The real migrations, which every test database runs through.
import { migrations } from '../../../migrations/index.js';

/** Set by Jest's global setup (test/prepare-template.ts): the server the tests use, and the migrated template to clone. */
export const TEST_SERVER_ENV = 'TEST_SERVER_URL';
export const TEST_TEMPLATE_ENV = 'TEST_TEMPLATE_DB';

export interface TestDatabase {
  url: string;
  /** True on the embedded fallback, which has a single session. */
  embedded: boolean;
  poolSize: number;
  dataSource(logger?: QueryCounter): Promise<DataSource>;
  drop(): Promise<void>;
}

const withDatabase = (serverUrl: string, database: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

async function admin<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for one test file, migrated through the real migrations:
 * cloned from the template on a real server, or a new in-memory embedded one.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env[TEST_SERVER_ENV];
  const sources: DataSource[] = [];
  const make = (url: string, poolSize: number) => async (logger?: QueryCounter) => {
    const ds = await createDataSource({ url, poolSize, logger, applicationName: 'tests' }).initialize();
    sources.push(ds);
    return ds;
  };
  const destroyAll = async () => {
    await Promise.all(sources.filter((s) => s.isInitialized).map((s) => s.destroy()));
  };

  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres(undefined);
    await migrateDatabase(embedded.url, migrations);
    return {
      url: embedded.url,
      embedded: true,
      poolSize: 1,
      dataSource: make(embedded.url, 1),
      drop: async () => {
        await destroyAll();
        await embedded.stop();
      },
    };
  }
  const name = `exchange_test_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${process.env[TEST_TEMPLATE_ENV]}`));
  const url = withDatabase(serverUrl, name);
  return {
    url,
    embedded: false,
    poolSize: 10,
    dataSource: make(url, 10),
    drop: async () => {
      await destroyAll();
      await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export { admin as withAdminClient, withDatabase };
