import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { isListening, migrateDatabase } from '@app/database';
import { migrations } from '../migrations/index.js';

/**
 * A scratch database on a real PostgreSQL (DATABASE_URL's server, else
 * 127.0.0.1:5432, or the `server` given), migrated, and dropped afterwards.
 * Benchmarks need real concurrency, which the embedded database does not have.
 * With `template` (a database on the same server, say one `seed --city`
 * loaded, that nothing is connected to) it starts as a copy of that one,
 * which then gets only the migrations it lacks. The copy is made file by
 * file (STRATEGY FILE_COPY, with a checkpoint before and after) rather than
 * block by block through the WAL, PostgreSQL 15's default: the city went
 * through the WAL whole (4.7 GB) and set off seven checkpoints in a row
 * before each run; file by file it writes no WAL and takes 2 s instead of 9.
 */
export async function scratchDatabase(prefix: string, server?: string, template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  server ??=
    process.env.DATABASE_URL ?? ((await isListening('127.0.0.1', 5432)) ? 'postgres://postgres@127.0.0.1:5432/postgres' : undefined);
  if (!server) throw new Error('benchmarks need a PostgreSQL server: set DATABASE_URL or run one on 127.0.0.1:5432');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)} STRATEGY FILE_COPY` : ''}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString(), migrations);
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * How fast this machine is right now, by a fixed piece of work of the kind
 * the service does (JSON written and parsed: 200 rounds of 1,000 rows, on one
 * core): printed with a benchmark's figures, so that figures taken on
 * different machines or days, or on a shared machine whose speed drifts,
 * can be read against each other.
 */
export function machineSpeed(): string {
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: `row-${i}`, n: i, sensitive: i % 2 === 0, tags: ['a', 'b'] }));
  const started = process.hrtime.bigint();
  let kept = 0;
  for (let i = 0; i < 200; i++) kept += (JSON.parse(JSON.stringify(rows)) as unknown[]).length;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return `machine speed: ${fmt(kept)} JSON rows written and parsed in ${ms.toFixed(0)} ms on one core`;
}
