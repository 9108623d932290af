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
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return value;
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
    maxQueryCost: integer(env, 'GRAPHQL_MAX_COST', 25_000, 100, 1_000_000),
    graphiql: (env.GRAPHIQL ?? 'true') !== 'false',
    auditKeys: loadAuditKeys(env),
    checkpoints: loadCheckpointSchedule(env),
  };
}
