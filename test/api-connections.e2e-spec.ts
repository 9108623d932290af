/**
 * The API's own connections plan without parallel workers and cancel long
 * statements: set when each connection starts, so that every statement it
 * runs, prepared or not, has them, and only on the API's connections.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';

let database: TestDatabase;
let api: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestApp(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

it('plans without parallel workers on every pooled connection, and keeps its statement timeout', async () => {
  const db = api.app.get(DataSource);
  // As many at once as the pool holds, so that every connection is asked.
  const settings = await Promise.all(
    Array.from({ length: database.poolSize }, () =>
      db.query<{ workers: string; timeout: string }[]>(
        `SELECT current_setting('max_parallel_workers_per_gather') AS workers, current_setting('statement_timeout') AS timeout, pg_sleep(0.05)`,
      ),
    ),
  );
  for (const [row] of settings) expect(row.workers).toBe('0');
  // The embedded database has a single session, which every connection shares, and takes no settings from a
  // connection's start (nor does it run parallel workers): the rest holds on a PostgreSQL server.
  if (database.embedded) return;
  for (const [row] of settings) expect(row.timeout).not.toBe('0');
  const other = await database.dataSource();
  expect(
    (await other.query<{ workers: string }[]>(`SELECT current_setting('max_parallel_workers_per_gather') AS workers`))[0].workers,
  ).not.toBe('0');
});
