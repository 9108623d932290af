import { AuditConfigError, loadAuditKeys, loadCheckpointSchedule, type AuditKeys, type CheckpointSchedule } from '@app/audit';
import { ConfigError, loadAuthConfig, type AuthConfig } from '@app/auth';
import type { FairShareLimits } from './http/fair-share.js';
import { asEnvironmentStrings, EnvironmentError, readEnvironment, type Environment } from '@app/common';

export interface ApiConfig {
  host: string;
  port: number;
  auth: AuthConfig;
  /** Deepest selection a query may make. */
  maxQueryDepth: number;
  /** See costLimitRule. */
  maxQueryCost: number;
  /** Serve GraphiQL at /graphiql. */
  graphiql: boolean;
  auditKeys: AuditKeys;
  checkpoints: CheckpointSchedule;
  /** GraphQL requests a department may make per minute, all its members together. */
  rateLimitPerMinute: number;
  /** A request whose body has not all arrived by then is answered 408 and its connection closed: a slow body holds nothing for long. */
  requestTimeoutMs: number;
  /** What one department may take of the service: see FairShare. */
  fairShare: FairShareLimits;
  /** A statement running longer is cancelled, failing its request alone. */
  statementTimeoutMs: number;
  /** A request waiting longer for a pooled connection fails with SERVICE_UNAVAILABLE. */
  acquireTimeoutMs: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** Bearer token for /metrics; see serveMetrics. */
  metricsToken?: string;
  /** NODE_ENV is production: no pretty logs, no open /metrics. */
  production: boolean;
  /** Read replicas of the database, and how long a department's reads stay on the primary after its mutation. */
  replicas: { urls: string[]; readYourWritesMs: number };
  /** Longest a shutdown waits for requests in flight before it gives up. */
  shutdownGraceMs: number;
  /** Where the process finds its database; see main.ts. */
  startup: {
    dataDir: string;
    databaseUrl?: string;
    poolSize: number;
    migrationDatabaseUrl?: string;
    migrateOnStart: boolean;
    seedPilot: boolean;
  };
}

/** The checked environment, its mistakes as configuration errors (one line at start). */
export function loadEnvironment(env: NodeJS.ProcessEnv): Environment {
  try {
    return readEnvironment(env);
  } catch (error) {
    throw error instanceof EnvironmentError ? new ConfigError(error.message) : error;
  }
}

/** Reads and checks all configuration at start, so that a mistake stops the process with one line. */
export function loadApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const environment = loadEnvironment(env);
  try {
    return toApiConfig(environment);
  } catch (error) {
    throw error instanceof AuditConfigError ? new ConfigError(error.message) : error;
  }
}

/** DATABASE_REPLICA_URLS: comma-separated PostgreSQL URLs. */
function replicaUrls(raw: string | undefined): string[] {
  const urls = (raw ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  for (const url of urls)
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(`DATABASE_REPLICA_URLS must be postgres:// URLs separated by commas`);
  return urls;
}

function toApiConfig(e: Environment): ApiConfig {
  // The libraries parse key material from the values the schema checked, never from the process's environment.
  const checked = asEnvironmentStrings(e);
  return {
    host: e.HOST,
    port: e.PORT,
    auth: loadAuthConfig(checked),
    maxQueryDepth: e.GRAPHQL_MAX_DEPTH,
    maxQueryCost: e.GRAPHQL_MAX_COST,
    graphiql: e.GRAPHIQL,
    auditKeys: loadAuditKeys(checked),
    checkpoints: loadCheckpointSchedule(checked),
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    fairShare: {
      costPerMinute: e.COST_PER_MINUTE,
      concurrency: e.CONCURRENCY_PER_DEPARTMENT,
      queue: e.QUEUE_PER_DEPARTMENT,
      heavyCost: e.HEAVY_QUERY_COST,
      heavyAtOnce: e.HEAVY_QUERIES_AT_ONCE,
      connections: e.CONNECTIONS_PER_DEPARTMENT,
    },
    statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    acquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
    production: e.NODE_ENV === 'production',
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    replicas: { urls: replicaUrls(e.DATABASE_REPLICA_URLS), readYourWritesMs: e.READ_YOUR_WRITES_MS },
    startup: {
      dataDir: e.DATA_DIR,
      databaseUrl: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      migrationDatabaseUrl: e.MIGRATION_DATABASE_URL,
      migrateOnStart: e.MIGRATE_ON_START,
      seedPilot: e.SEED_PILOT,
    },
  };
}
