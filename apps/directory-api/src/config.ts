import { AuditConfigError, loadAuditKeys, loadCheckpointSchedule, type AuditKeys, type CheckpointSchedule } from '@app/audit';
import { ConfigError, loadAuthConfig, type AuthConfig } from '@app/auth';

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
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return value;
}

function oneOf(env: NodeJS.ProcessEnv, name: string, fallback: string, values: string[]): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!values.includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, not "${raw}"`);
  return raw;
}

/** Reads and checks all configuration at start, so that a mistake stops the process with one line. */
export function loadApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  try {
    return readApiConfig(env);
  } catch (error) {
    throw error instanceof AuditConfigError ? new ConfigError(error.message) : error;
  }
}

function readApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  return {
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000, 0, 65535),
    auth: loadAuthConfig(env),
    maxQueryDepth: integer(env, 'GRAPHQL_MAX_DEPTH', 10, 2, 50),
    maxQueryCost: integer(env, 'GRAPHQL_MAX_COST', 100_000, 100, 10_000_000),
    graphiql: (env.GRAPHIQL ?? 'true') !== 'false',
    auditKeys: loadAuditKeys(env),
    checkpoints: loadCheckpointSchedule(env),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 1_200, 1, 1_000_000),
    statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 100, 3_600_000),
    acquireTimeoutMs: integer(env, 'DATABASE_ACQUIRE_TIMEOUT_MS', 3_000, 100, 600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    metricsToken: env.METRICS_TOKEN || undefined,
    production: env.NODE_ENV === 'production',
  };
}
