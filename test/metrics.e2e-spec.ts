/**
 * /metrics: Prometheus text behind a bearer token; request figures per
 * operation and outcome, the pool, the audit ledgers and their checkpoint lag,
 * exchanges by status and rate-limit refusals, checked against the database;
 * and what the service keeps in memory, within its bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { KEPT_RULES_MAX_GRANTS } from '@app/access';
import type { DepartmentRef } from '@app/auth';
import { KEPT_SEARCH_MATCHES, KEPT_SEARCH_MATCHES_MAX, KEPT_TOTAL_COUNTS_MAX } from '@app/directory';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let health: DepartmentRef;
let civil: DepartmentRef;
let noisy: DepartmentRef;
let lister: DepartmentRef;
const METRICS_TOKEN = 'scrape-secret-for-tests';

const scrape = async (authorization = `Bearer ${METRICS_TOKEN}`, app = api) =>
  app.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

/** The value of one sample, by metric name and exact label set. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (have === wanted) return Number(match[3]);
  }
  return undefined;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  health = await world.department('met-health', await world.district('met-east'));
  civil = await world.department('met-civil', await world.district('met-west'));
  noisy = await world.department('met-noisy', await world.district('met-north'));
  lister = await world.department('met-lister', await world.district('met-south'));
  api = await startTestApp(database, { METRICS_TOKEN, RATE_LIMIT_PER_MINUTE: '6' });
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('metrics', () => {
  it('answers only with the metrics token', async () => {
    expect((await scrape('')).statusCode).toBe(401);
    expect((await scrape('Bearer wrong')).statusCode).toBe(401);
    const ok = await scrape();
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts requests, latency, pool, audit appends and lag, exchanges and refusals as the database has them', async () => {
    const steward = await api.tokenFor(health, ['STEWARD'], 'steward');
    const member = await api.tokenFor(civil, ['MEMBER'], 'member');
    const registered: any = await api.gql(steward, `mutation Register($input: RegisterFileInput!) { registerFile(input: $input) { id } }`, {
      input: {
        code: 'met-file',
        title: 'Metrics file',
        classification: 'PUBLIC',
        category: 'c',
        tags: [],
        format: 'table',
        fields: [{ name: 'age', type: 'integer' }],
      },
    });
    const fileId = registered.data.registerFile.id;
    await api.gql(steward, `mutation Publish($id: ID!) { publishRecords(fileId: $id, records: [{ age: 3 }]) { version } }`, { id: fileId });
    const requested: any = await api.gql(
      member,
      `mutation Ask($input: RequestExchangeInput!) { requestExchange(input: $input) { status } }`,
      {
        input: { fileId, fields: ['age'], purpose: 'counting' },
      },
    );
    expect(requested.data.requestExchange.status).toBe('REQUESTED');
    const missingFile: any = await api.gql(
      member,
      `mutation Missing($input: RequestExchangeInput!) { requestExchange(input: $input) { status } }`,
      {
        input: { fileId: '00000000-0000-4000-8000-000000000000', fields: ['age'], purpose: 'counting' },
      },
    );
    expect(missingFile.errors[0].extensions.code).toBe('NOT_FOUND');
    const noise = await api.tokenFor(noisy, ['MEMBER']);
    const statuses = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await api.gql(noise, 'query Ping { __typename }')).status);
    const refused = statuses.filter((s) => s === 429).length;
    expect(refused).toBe(2);

    const text = (await scrape()).body;
    expect(sample(text, 'directory_api_requests_total', { operation: 'Register', outcome: 'OK' })).toBe(1);
    expect(sample(text, 'directory_api_requests_total', { operation: 'Ping', outcome: 'OK' })).toBe(6);
    expect(sample(text, 'directory_api_request_duration_seconds_count', { operation: 'Publish', outcome: 'OK' })).toBe(1);
    expect(sample(text, 'directory_api_request_duration_seconds_bucket', { operation: 'Publish', outcome: 'OK', le: '+Inf' })).toBe(1);
    const missing = text.split('\n').find((l) => l.startsWith('directory_api_requests_total{operation="Missing"'));
    expect(missing).toMatch(/outcome="NOT_FOUND"\} 1$/);
    expect(sample(text, 'directory_api_rate_limited_total')).toBe(refused);
    expect(sample(text, 'directory_api_requests_total', { operation: 'none', outcome: 'RATE_LIMITED' })).toBe(refused);
    expect(sample(text, 'directory_api_exchanges', { status: 'REQUESTED' })).toBe(1);

    const ledgers = await db.query<{ ledger: string; size: number; checkpointed: number }[]>(
      `SELECT ledger, max(seq)::int AS size, coalesce((SELECT max(size) FROM audit_checkpoint c WHERE c.ledger = e.ledger), 0)::int AS checkpointed
         FROM audit_entry e GROUP BY ledger`,
    );
    expect(ledgers.length).toBeGreaterThan(0);
    for (const l of ledgers) {
      expect(sample(text, 'directory_api_audit_entries', { ledger: l.ledger })).toBe(l.size);
      expect(sample(text, 'directory_api_audit_checkpoint_lag_entries', { ledger: l.ledger })).toBe(l.size - l.checkpointed);
    }
    expect(sample(text, 'directory_api_db_pool_connections', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'directory_api_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'directory_api_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
  });

  it('shows what the caches keep, each within its bound: a new rule set, a kept total and a kept search, as they are added', async () => {
    const kept = async () => {
      const text = (await scrape()).body;
      const caches = ['access_rules', 'listing_totals', 'search_matches'] as const;
      return Object.fromEntries(
        caches.map((cache) => [
          cache,
          { size: sample(text, 'directory_api_kept_entries', { cache })!, max: sample(text, 'directory_api_kept_entries_max', { cache }) },
        ]),
      ) as Record<(typeof caches)[number], { size: number; max: number | undefined }>;
    };
    const member = await api.tokenFor(lister, ['MEMBER']);
    const before = await kept();
    const listed: any = await api.gql(member, `query { files(first: 3) { totalCount } }`);
    expect(listed.errors).toBeUndefined();
    const afterList = await kept();
    // A department with no grants: its rules count one. Its total keeps one count per district with a files' version, plus one.
    expect(afterList.access_rules.size - before.access_rules.size).toBe(1);
    const [{ n: versioned }] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM file_listing_version`);
    expect(afterList.listing_totals.size - before.listing_totals.size).toBe(versioned + 1);
    expect(afterList.search_matches.size).toBe(before.search_matches.size);
    const found: any = await api.gql(member, `query { files(first: 3, filter: { search: "metrics" }) { totalCount } }`);
    expect(found.data.files.totalCount).toBeGreaterThan(0);
    const afterSearch = await kept();
    expect(afterSearch.search_matches.size - before.search_matches.size).toBe(
      Math.min(found.data.files.totalCount, KEPT_SEARCH_MATCHES) + 1,
    );
    expect(afterSearch.access_rules.max).toBe(KEPT_RULES_MAX_GRANTS);
    expect(afterSearch.listing_totals.max).toBe(KEPT_TOTAL_COUNTS_MAX);
    expect(afterSearch.search_matches.max).toBe(KEPT_SEARCH_MATCHES_MAX);
    for (const cache of Object.values(afterSearch)) expect(cache.size).toBeLessThanOrEqual(cache.max!);
  });

  it('is never rate limited', async () => {
    for (let i = 0; i < 10; i += 1) expect((await scrape()).statusCode).toBe(200);
  });

  it('without a token, production does not serve /metrics at all', async () => {
    const production = await startTestApp(database, { NODE_ENV: 'production' });
    try {
      const response = await scrape('', production);
      expect(response.statusCode).toBe(404);
    } finally {
      await production.close();
    }
  });
});
