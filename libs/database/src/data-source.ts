import { DataSource, type Logger, type MixedList, type EntitySchema } from 'typeorm';
import { honourConnectionShares } from './connection-share.js';
import { runPreparedByName } from './prepared-statements.js';
import { routeReadsToReplicas, type ReplicaFallback } from './read-replicas.js';
import { startSessionsWith } from './session-settings.js';

export interface DataSourceSettings {
  url: string;
  /** Streaming replicas of `url`: plain reads of read-only requests may go there (see readFromReplicas). */
  replicaUrls?: string[];
  /** Told when a replica refused a connection and a read went to the primary instead. */
  onReplicaFallback?: ReplicaFallback;
  poolSize: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  logger?: Logger;
  applicationName?: string;
  /** Cancel any statement running longer (the API sets it; seeding and migrations do not). */
  statementTimeoutMs?: number;
  /** Fail a request that waits longer for a pooled connection. */
  acquireTimeoutMs?: number;
  /**
   * Plan without parallel workers (the API sets it). Under concurrent requests
   * a Gather waits for workers that get no core; and a prepared statement's
   * generic plan, which cannot see that a count's term matches nothing for these
   * values, would start workers for it on every call.
   */
  serialPlans?: boolean;
  /**
   * Run every prepared statement's generic plan, from its first execution
   * on (the API sets it). The hot statements are written for their generic
   * plans (test/generic-plans.e2e-spec.ts). Left to choose, PostgreSQL plans
   * a statement afresh at every execution once its generic estimate is
   * dearer than a custom one, which a tiny custom estimate makes easy: with
   * thousands of ended grants a department's page by time did, forever,
   * and took three times as long.
   */
  genericPlans?: boolean;
}

/** The one way the app, the CLI, migrations and tests reach PostgreSQL. */
export function createDataSource(settings: DataSourceSettings): DataSource {
  const dataSource = new DataSource({
    type: 'postgres',
    url: settings.url,
    // Each replica gets a pool of poolSize too. Runners start on the primary; routeReadsToReplicas moves reads.
    ...(settings.replicaUrls?.length
      ? {
          replication: {
            master: { url: settings.url },
            slaves: settings.replicaUrls.map((url) => ({ url })),
            defaultMode: 'master' as const,
          },
        }
      : {}),
    entities: settings.entities ?? [],
    migrations: settings.migrations ?? [],
    migrationsTableName: 'schema_migration',
    // Schema changes only ever come from reviewed migrations.
    synchronize: false,
    migrationsRun: false,
    logging: settings.logger ? ['query', 'error'] : false,
    logger: settings.logger,
    poolSize: settings.poolSize,
    applicationName: settings.applicationName ?? 'district-data-exchange',
    extra: {
      connectionTimeoutMillis: settings.acquireTimeoutMs ?? 10_000,
      ...(settings.statementTimeoutMs ? { statement_timeout: settings.statementTimeoutMs } : {}),
    },
  });
  // In this order: a replica's fallback to the primary must not enter a connection share twice.
  routeReadsToReplicas(dataSource, settings.onReplicaFallback);
  honourConnectionShares(dataSource);
  startSessionsWith(dataSource, planningSettings(settings));
  runPreparedByName(dataSource);
  return dataSource;
}

/** The planning settings of a connection's session (see serialPlans and genericPlans). */
function planningSettings(settings: DataSourceSettings): Record<string, string> {
  return {
    ...(settings.serialPlans ? { max_parallel_workers_per_gather: '0' } : {}),
    ...(settings.genericPlans ? { plan_cache_mode: 'force_generic_plan' } : {}),
  };
}

/** Counts statements, so tests can prove that nested fields are batched. */
export class QueryCounter implements Logger {
  count = 0;
  readonly statements: string[] = [];
  logQuery(query: string): void {
    this.count += 1;
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  reset(): void {
    this.count = 0;
    this.statements.length = 0;
  }
}

/** Brings a database up to date; returns the names of the migrations it ran. */
export async function migrateDatabase(url: string, migrations: DataSourceSettings['migrations']): Promise<string[]> {
  const ds = await createDataSource({ url, poolSize: 1, migrations, applicationName: 'migrations' }).initialize();
  try {
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
