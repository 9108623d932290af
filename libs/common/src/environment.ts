import { z } from 'zod';
import { DEFAULT_DATA_DIR } from './dev-secrets.js';

/** A variable that is unset or empty takes its default. */
const given = (raw: string | undefined): raw is string => raw !== undefined && raw !== '';

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!given(raw)) return fallback;
      const value = Number(raw);
      if (Number.isInteger(value) && value >= min && value <= max) return value;
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}, not "${raw}"` });
      return z.NEVER;
    });

const oneOf = <const T extends string>(values: readonly T[], fallback: T, list = `one of ${values.join(', ')}`) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!given(raw)) return fallback;
      if ((values as readonly string[]).includes(raw)) return raw as T;
      ctx.addIssue({ code: 'custom', message: `must be ${list}, not "${raw}"` });
      return z.NEVER;
    });

const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!given(raw)) return fallback;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      ctx.addIssue({ code: 'custom', message: `must be true or false, not "${raw}"` });
      return z.NEVER;
    });

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw) => (given(raw) ? raw : fallback));

/** Secrets and URLs: kept as given, undefined when unset or empty. */
const optional = () =>
  z
    .string()
    .optional()
    .transform((raw) => (given(raw) ? raw : undefined));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable the service and the CLI read, checked in one
 * place. README's configuration table lists exactly these (a test compares
 * them). Key material is parsed further by the auth and audit libraries.
 */
export const environmentSchema = z.object({
  NODE_ENV: text('development'),
  DATABASE_URL: optional(),
  MIGRATION_DATABASE_URL: optional(),
  MIGRATE_ON_START: flag(true),
  SEED_PILOT: flag(false),
  DATABASE_POOL_SIZE: integer(10, 1, 1_000),
  DATABASE_REPLICA_URLS: optional(),
  READ_YOUR_WRITES_MS: integer(5_000, 0, 3_600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(10_000, 100, 3_600_000),
  DATABASE_ACQUIRE_TIMEOUT_MS: integer(3_000, 100, 600_000),
  DATA_DIR: text(DEFAULT_DATA_DIR),
  HOST: text('127.0.0.1'),
  PORT: integer(3000, 0, 65535),
  GRAPHIQL: flag(true),
  GRAPHQL_MAX_DEPTH: integer(10, 2, 50),
  GRAPHQL_MAX_COST: integer(100_000, 100, 10_000_000),
  RATE_LIMIT_PER_MINUTE: integer(1_200, 1, 1_000_000),
  COST_PER_MINUTE: integer(30_000_000, 100, 1_000_000_000_000),
  CONCURRENCY_PER_DEPARTMENT: integer(4, 1, 1_000),
  QUEUE_PER_DEPARTMENT: integer(32, 0, 100_000),
  HEAVY_QUERY_COST: integer(50_000, 1, 1_000_000_000),
  HEAVY_QUERIES_AT_ONCE: integer(1, 1, 1_000),
  CONNECTIONS_PER_DEPARTMENT: integer(3, 1, 1_000),
  JWT_ALGORITHM: oneOf(['HS256', 'RS256', 'ES256'], 'HS256', 'HS256, RS256 or ES256'),
  JWT_SECRET: optional(),
  JWT_PUBLIC_KEY: optional(),
  JWT_PRIVATE_KEY: optional(),
  JWT_ISSUER: text('district-data-exchange'),
  JWT_AUDIENCE: text('district-data-exchange'),
  TOKEN_MAX_LIFETIME: optional(),
  AUDIT_SIGNING_KEY: optional(),
  AUDIT_TRUSTED_KEYS: optional(),
  AUDIT_CHECKPOINT_EVERY_ENTRIES: integer(1000, 1, 100_000_000),
  AUDIT_CHECKPOINT_EVERY_SECONDS: integer(60, 1, 86_400),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  METRICS_TOKEN: optional(),
  SHUTDOWN_GRACE_MS: integer(10_000, 0, 600_000),
  REQUEST_TIMEOUT_MS: integer(60_000, 1_000, 3_600_000),
});

export type Environment = z.output<typeof environmentSchema>;

export class EnvironmentError extends Error {}

/** The checked environment; the first mistake is thrown as one line, "NAME must be ...". */
export function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  const parsed = environmentSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw new EnvironmentError(`${issue.path.join('.')} ${issue.message}`);
}

/** The checked values as strings again, for the libraries that parse keys from an environment. */
export function asEnvironmentStrings(environment: Environment): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === undefined ? undefined : String(value)]));
}
