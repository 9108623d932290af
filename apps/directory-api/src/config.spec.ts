import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@app/auth';
import { environmentSchema } from '@app/common';
import { loadApiConfig } from './config.js';

const auditKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const base = { JWT_SECRET: 'x'.repeat(32), AUDIT_SIGNING_KEY: auditKey };

/** The variable names in the first column of README's configuration table. */
function readmeVariables(): string[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]));
}

describe('configuration', () => {
  it("README's table lists exactly the variables the schema reads", () => {
    expect(readmeVariables().sort()).toEqual(Object.keys(environmentSchema.shape).sort());
  });

  it('gives every value its default', () => {
    const config = loadApiConfig(base);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      graphiql: true,
      rateLimitPerMinute: 1200,
      logLevel: 'info',
      production: false,
      shutdownGraceMs: 10_000,
      checkpoints: { everyEntries: 1000, everySeconds: 60 },
      startup: { dataDir: '.data', poolSize: 10, migrateOnStart: true, seedPilot: false },
    });
    expect(config.metricsToken).toBeUndefined();
  });

  it('reads what is given', () => {
    const config = loadApiConfig({
      ...base,
      PORT: '8080',
      GRAPHIQL: 'false',
      NODE_ENV: 'production',
      METRICS_TOKEN: 'scrape',
      DATABASE_URL: 'postgres://a@b/c',
      DATABASE_POOL_SIZE: '25',
      MIGRATE_ON_START: 'false',
      SEED_PILOT: 'true',
      AUDIT_CHECKPOINT_EVERY_SECONDS: '5',
    });
    expect(config).toMatchObject({
      port: 8080,
      graphiql: false,
      production: true,
      metricsToken: 'scrape',
      checkpoints: { everySeconds: 5 },
    });
    expect(config.startup).toMatchObject({ databaseUrl: 'postgres://a@b/c', poolSize: 25, migrateOnStart: false, seedPilot: true });
  });

  it.each([
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE must be an integer from 1 to 1000, not "0"'],
    [{ MIGRATE_ON_START: 'no' }, 'MIGRATE_ON_START must be true or false, not "no"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "loud"'],
    [{ JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM must be HS256, RS256 or ES256, not "none"'],
    [{ SHUTDOWN_GRACE_MS: '1.5' }, 'SHUTDOWN_GRACE_MS must be an integer from 0 to 600000, not "1.5"'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 bytes for HS256 (got 5)'],
  ])('%j is refused with one line', (env, message) => {
    let thrown: unknown;
    try {
      loadApiConfig({ ...base, ...env });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toBe(message);
  });
});
