/**
 * The API's planning settings (no parallel workers, generic plans only) reach
 * the session of every pooled connection, on PostgreSQL and on the embedded
 * database alike: the embedded one ignores startup parameters, so they are
 * set on each connection's first use (libs/database, startSessionsWith).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDataSource } from '@app/database';
import { createTestDatabase, type TestDatabase } from '@app/testing';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

const settingsOf = (db: { query: (sql: string) => Promise<{ mode: string; workers: string }[]> }) =>
  db.query(`SELECT current_setting('plan_cache_mode') AS mode, current_setting('max_parallel_workers_per_gather') AS workers`);

describe("a data source's planning settings", () => {
  it('hold on every connection of the pool, each taken at once', async () => {
    const db = await createDataSource({
      url: database.url,
      poolSize: 3,
      applicationName: 'tests',
      serialPlans: true,
      genericPlans: true,
    }).initialize();
    try {
      // Three at once, so that each runs on a connection of its own where there are three.
      const seen = await Promise.all([0, 1, 2].map(() => db.transaction((tx) => settingsOf(tx))));
      expect(seen.flat()).toEqual(Array.from({ length: 3 }, () => ({ mode: 'force_generic_plan', workers: '0' })));
    } finally {
      await db.destroy();
    }
  });

  it('are left as PostgreSQL has them when not asked for', async () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session, which the case above set');
    const db = await createDataSource({ url: database.url, poolSize: 1, applicationName: 'tests' }).initialize();
    try {
      expect((await settingsOf(db))[0].mode).toBe('auto');
    } finally {
      await db.destroy();
    }
  });
});
