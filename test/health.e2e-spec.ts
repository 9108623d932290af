/**
 * /health/live and /health/ready: no token, never rate limited; readiness
 * fails when a migration is missing or the checkpoint signer stopped running.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CheckpointScheduler } from '@app/audit';
import { createApp } from '../apps/directory-api/src/bootstrap.js';
import { loadApiConfig } from '../apps/directory-api/src/config.js';
import { CHECKPOINT_STALE_MS } from '../apps/directory-api/src/operations/health.js';
import { SupervisedCheckpointScheduler } from '../apps/directory-api/src/operations/supervised-scheduler.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  api = await startTestApp(database, { RATE_LIMIT_PER_MINUTE: '2' });
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const get = (url: string) => api.app.inject({ method: 'GET', url });

describe('health', () => {
  it('live answers without a token', async () => {
    const response = await get('/health/live');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok' });
  });

  it('ready checks the database, the migrations and the signer', async () => {
    const response = await get('/health/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up' }, checkpoints: { status: 'up', scheduled: false } },
    });
  });

  it('probes are never rate limited, though GraphQL is', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await get('/health/ready')).statusCode, (await get('/health/live')).statusCode);
    expect(new Set(statuses)).toEqual(new Set([200]));
    const token = await api.tokenFor('lg-nobody-is-needed', ['MEMBER']);
    const codes = [];
    for (let i = 0; i < 4; i += 1) codes.push((await api.gql(token, '{ __typename }')).status);
    expect(codes).toContain(429);
  });

  it('a migration missing from the database makes the service not ready', async () => {
    const [last] = await db.query<{ id: number; timestamp: string; name: string }[]>(
      'SELECT * FROM schema_migration ORDER BY id DESC LIMIT 1',
    );
    await db.query('DELETE FROM schema_migration WHERE id = $1', [last.id]);
    try {
      const response = await get('/health/ready');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'error', error: { migrations: { status: 'down', pending: [last.name] } } });
    } finally {
      await db.query('INSERT INTO schema_migration (id, timestamp, name) VALUES ($1, $2, $3)', [last.id, last.timestamp, last.name]);
    }
    expect((await get('/health/ready')).statusCode).toBe(200);
  });
});

describe('health with the checkpoint signer scheduled', () => {
  it('is ready while the signer runs, and not once its last run is stale', async () => {
    const auditKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const config = loadApiConfig({ JWT_SECRET: randomBytes(32).toString('hex'), AUDIT_SIGNING_KEY: auditKey });
    const app = await createApp({ config, database: { url: database.url, poolSize: 2 }, logger: false, scheduleCheckpoints: true });
    try {
      const scheduler = app.get(CheckpointScheduler);
      expect(scheduler).toBeInstanceOf(SupervisedCheckpointScheduler);
      await scheduler.run();
      const fresh = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(fresh.json()).toMatchObject({ status: 'ok', info: { checkpoints: { status: 'up' } } });
      (scheduler as SupervisedCheckpointScheduler).lastRunAt = Date.now() - CHECKPOINT_STALE_MS - 1_000;
      const stale = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(stale.statusCode).toBe(503);
      expect(stale.json()).toMatchObject({ error: { checkpoints: { status: 'down' } } });
    } finally {
      await app.close();
    }
  });
});
