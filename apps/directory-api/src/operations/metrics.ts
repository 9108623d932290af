import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

export const METRICS_PATH = '/metrics';

/** Operation names come from clients: past this many distinct ones, the rest count as "other". */
const MAX_OPERATION_LABELS = 200;

/**
 * Every metric the service exposes. Request figures are counted as requests
 * end; the pool, the audit ledgers and the exchanges are read at each scrape
 * (cheap statements: an index skip over the ledgers, a count per status).
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private db?: DataSource;
  private kept: () => KeptInMemory = () => [];

  private readonly requests = new Counter({
    name: 'directory_api_requests_total',
    help: 'GraphQL requests by operation name and outcome code',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'directory_api_request_duration_seconds',
    help: 'GraphQL request latency by operation name and outcome code',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'directory_api_rate_limited_total',
    help: 'Requests refused by the per-department rate limit',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'directory_api_' });
    const pool = () => (this.db?.driver as { master?: Pool } | undefined)?.master;
    new Gauge({
      name: 'directory_api_db_pool_connections',
      help: 'Database pool connections by state: in_use, idle, waiting (requests queued for one)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: 'in_use' }, p.totalCount - p.idleCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'waiting' }, p.waitingCount);
      },
    });
    const ledgers = () => this.readLedgers();
    new Gauge({
      name: 'directory_api_audit_entries',
      help: 'Entries appended to each audit ledger (its length)',
      labelNames: ['ledger'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const l of await ledgers()) this.set({ ledger: l.ledger }, l.size);
      },
    });
    new Gauge({
      name: 'directory_api_audit_checkpoint_lag_entries',
      help: 'Entries of each audit ledger not yet covered by a signed checkpoint',
      labelNames: ['ledger'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const l of await ledgers()) this.set({ ledger: l.ledger }, l.size - l.checkpointed);
      },
    });
    const kept = () => this.kept();
    new Gauge({
      name: 'directory_api_kept_entries',
      help: 'What the service keeps in memory, by cache: access_rules (grants), listing_totals (districts counted), search_matches (ranked matches)',
      labelNames: ['cache'] as const,
      registers: [this.registry],
      collect() {
        for (const k of kept()) this.set({ cache: k.cache }, k.size);
      },
    });
    new Gauge({
      name: 'directory_api_kept_entries_max',
      help: 'The bound of each cache of directory_api_kept_entries: the least recently used go past it',
      labelNames: ['cache'] as const,
      registers: [this.registry],
      collect() {
        for (const k of kept()) this.set({ cache: k.cache }, k.max);
      },
    });
    const exchanges = () => this.readExchanges();
    new Gauge({
      name: 'directory_api_exchanges',
      help: 'Exchanges by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [status, n] of await exchanges()) this.set({ status }, n);
      },
    });
  }

  /** `kept`: what the service keeps in memory, read at each scrape. */
  watch(db: DataSource, kept: () => KeptInMemory = () => []): void {
    this.db = db;
    this.kept = kept;
  }

  observeRequest(operation: string | undefined, outcome: string, ms: number): void {
    let label = operation ?? 'none';
    if (!this.operations.has(label)) {
      if (this.operations.size >= MAX_OPERATION_LABELS) label = 'other';
      else this.operations.add(label);
    }
    this.requests.inc({ operation: label, outcome });
    this.duration.observe({ operation: label, outcome }, ms / 1000);
  }

  countRateLimited(): void {
    this.rateLimited.inc();
  }

  // One scrape reads the ledgers once for both gauges.
  private ledgerRead?: Promise<{ ledger: string; size: number; checkpointed: number }[]>;

  private readLedgers() {
    this.ledgerRead ??= this.query<{ ledger: string; size: string; checkpointed: string | null }>(
      // A skip scan over the primary key: one index probe per ledger, however long the ledgers are.
      `WITH RECURSIVE l AS (
         (SELECT ledger FROM audit_entry ORDER BY ledger LIMIT 1)
         UNION ALL
         SELECT (SELECT e.ledger FROM audit_entry e WHERE e.ledger > l.ledger ORDER BY e.ledger LIMIT 1) FROM l WHERE l.ledger IS NOT NULL
       )
       SELECT ledger,
              (SELECT max(seq) FROM audit_entry e WHERE e.ledger = l.ledger) AS size,
              (SELECT max(size) FROM audit_checkpoint c WHERE c.ledger = l.ledger) AS checkpointed
         FROM l WHERE ledger IS NOT NULL`,
    )
      .then((rows) => rows.map((r) => ({ ledger: r.ledger, size: Number(r.size), checkpointed: Number(r.checkpointed ?? 0) })))
      .finally(() => setImmediate(() => (this.ledgerRead = undefined)));
    return this.ledgerRead;
  }

  private async readExchanges(): Promise<[string, number][]> {
    const rows = await this.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM exchange GROUP BY status');
    return rows.map((r) => [r.status, r.n]);
  }

  /** A scrape while the database is down still answers, without the figures it could not read. */
  private async query<T>(sql: string): Promise<T[]> {
    if (!this.db?.isInitialized) return [];
    try {
      return await this.db.query<T[]>(sql);
    } catch {
      return [];
    }
  }
}

/** The service's in-memory caches, each with its size and bound (in its own unit). */
export type KeptInMemory = { cache: string; size: number; max: number }[];

export interface MetricsAccess {
  /** Bearer token a scraper must present; without one, /metrics is open in development and absent in production. */
  token?: string;
  production: boolean;
}

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

export function serveMetrics(fastify: FastifyInstance, metrics: ServiceMetrics, access: MetricsAccess): void {
  if (!access.token && access.production) return;
  fastify.get(METRICS_PATH, async (request, reply) => {
    if (access.token && !sameSecret(request.headers.authorization ?? '', `Bearer ${access.token}`)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ message: 'a valid metrics token is required' });
    }
    const body = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
