/**
 * Graceful shutdown of the real process: on SIGTERM a request in flight still
 * gets its answer, new connections are refused, and the process exits 0; past
 * SHUTDOWN_GRACE_MS it exits 1. And in process: closing waits for the
 * checkpoint signer's run in progress.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { CheckpointScheduler } from '@app/audit';
import { Tokens, loadAuthConfig, type DepartmentRef } from '@app/auth';
import type { DataSource } from 'typeorm';
import { createApp } from '../apps/directory-api/src/bootstrap.js';
import { loadApiConfig } from '../apps/directory-api/src/config.js';
import type { SupervisedCheckpointScheduler } from '../apps/directory-api/src/operations/supervised-scheduler.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { World } from './world.js';

let database: TestDatabase;
let db: DataSource;
let department: DepartmentRef;
const JWT_SECRET = randomBytes(32).toString('hex');
const AUDIT_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  department = await world.department('sd-health', await world.district('sd-east'));
});

afterAll(async () => {
  await database?.drop();
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the service did not become ready');
}

function spawnService(
  port: number,
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'apps/directory-api/src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '',
      DATABASE_URL: database.url,
      JWT_SECRET,
      AUDIT_SIGNING_KEY,
      PORT: String(port),
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** A GraphQL request that waits on a lock the test holds on the exchange table, until released. */
async function slowRequest(url: string) {
  const token = await new Tokens(loadAuthConfig({ JWT_SECRET })).mint({
    subject: 'slow',
    departmentCode: department.code,
    roles: ['MEMBER'],
  });
  const locker = db.createQueryRunner();
  await locker.connect();
  await locker.startTransaction();
  await locker.query('LOCK TABLE exchange IN ACCESS EXCLUSIVE MODE');
  const answer = fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'query Slow { exchanges { totalCount } }' }),
  }).then(
    async (r): Promise<{ status: number; body: unknown }> => ({ status: r.status, body: await r.json() }),
    () => ({ status: 0, body: null }),
  );
  await new Promise((r) => setTimeout(r, 500));
  return {
    answer,
    release: async () => {
      await locker.commitTransaction();
      await locker.release();
    },
  };
}

describe('graceful shutdown', () => {
  it('SIGTERM: the request in flight completes, new connections are refused, exit code 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const service = spawnService(port, { SHUTDOWN_GRACE_MS: '20000' });
    try {
      await waitUntilReady(url, service.child);
      const slow = await slowRequest(url);
      service.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      expect(service.child.exitCode).toBeNull();
      // No new connections while the old request finishes.
      await expect(fetch(`${url}/health/live`, { headers: { connection: 'close' } })).rejects.toThrow();
      await slow.release();
      expect(await slow.answer).toEqual({ status: 200, body: { data: { exchanges: { totalCount: 0 } } } });
      expect(await service.exited).toBe(0);
      expect(service.output()).toMatch(/"msg":"shutting down"/);
      expect(service.output()).toMatch(/"msg":"shut down"/);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });

  it('a request still running after SHUTDOWN_GRACE_MS: the process gives up and exits 1', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const service = spawnService(port, { SHUTDOWN_GRACE_MS: '1000' });
    try {
      await waitUntilReady(url, service.child);
      const slow = await slowRequest(url);
      const signalled = Date.now();
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(1);
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(service.output()).toMatch(/requests still running after the grace period/);
      await slow.release();
      expect((await slow.answer).status).not.toBe(200);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });

  it('closing waits for the checkpoint signer to finish its run before the pool closes', async () => {
    const config = loadApiConfig({ JWT_SECRET, AUDIT_SIGNING_KEY });
    const app = await createApp({ config, database: { url: database.url, poolSize: 2 }, logger: false, scheduleCheckpoints: true });
    const scheduler = app.get<CheckpointScheduler, SupervisedCheckpointScheduler>(CheckpointScheduler);
    const locker = db.createQueryRunner();
    await locker.connect();
    await locker.startTransaction();
    await locker.query('LOCK TABLE audit_entry IN ACCESS EXCLUSIVE MODE');
    const run = scheduler.run();
    await new Promise((r) => setTimeout(r, 300));
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(closed).toBe(false);
    expect(scheduler.lastRunAt).toBeUndefined();
    await locker.commitTransaction();
    await locker.release();
    await closing;
    await run;
    expect(scheduler.lastRunAt).toBeDefined();
  });
});
