import 'reflect-metadata';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, Tokens } from '@app/auth';
import { applyDevelopmentSecrets } from '@app/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createDataSource, migrateDatabase, resolveDatabase, type ResolvedDatabase } from '@app/database';
import { PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { migrations } from '../../../migrations/index.js';
import { createApp } from './bootstrap.js';
import { loadApiConfig, loadEnvironment } from './config.js';

/**
 * Memory: after a full collection V8 lets the heap grow to up to four times what
 * survived it before the next one, and under load nearly all of that growth is
 * the garbage of finished requests. Growing by at most three quarters keeps the
 * service near 200 MB resident under ten concurrent city pages (320–360 MB with
 * V8's default), for a few per cent more CPU in full collections, within the
 * run-to-run noise of this machine. V8 honours the flag fully only from the
 * command line, where `npm run start:prod` and the image give it (set here
 * instead, a search-heavy load still peaked at 250–263 MB against 199 MB); this
 * sets it for launches that do not. A value given on the command line or in
 * NODE_OPTIONS wins.
 */
if (![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.startsWith('--heap-growing-percent')))
  setFlagsFromString('--heap-growing-percent=75');

const EXAMPLE_QUERY = `{ files(first: 5, filter: { search: "vaccination" }) { totalCount edges { node { title classification owner { name } myAccess } } } }`;

/**
 * SIGTERM or SIGINT: readiness goes red, the server stops accepting, requests
 * in flight finish, the checkpoint signer finishes its run, the pool closes,
 * and the process exits 0; past the grace period it gives up and exits 1.
 */
function stopOnSignals(app: NestFastifyApplication, database: ResolvedDatabase, graceMs: number): void {
  const log = app.getHttpAdapter().getInstance().log;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ graceMs }, 'shutdown: requests still running after the grace period; exiting');
      process.exit(1);
    }, graceMs).unref();
    try {
      await app.close();
      // The embedded database closes after the app, so that no query is cut off.
      await database.stop();
      log.info('shut down');
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
}

async function main(): Promise<void> {
  // The one place the process's environment is read; everything else gets the checked configuration.
  const env = process.env;
  const developmentSecrets = applyDevelopmentSecrets(env, loadEnvironment(env).DATA_DIR);
  const config = loadApiConfig(env);
  const { startup } = config;
  const dataDir = startup.dataDir;

  if (!startup.databaseUrl && config.replicas.urls.length)
    throw new ConfigError('DATABASE_REPLICA_URLS needs DATABASE_URL (the embedded database has no replicas)');
  const database = await resolveDatabase({ url: startup.databaseUrl, poolSize: startup.poolSize }, join(dataDir, 'pglite'));
  // In production the service's own role may not alter the schema: migrations then
  // run as MIGRATION_DATABASE_URL's owner role, or separately (MIGRATE_ON_START=false).
  if (startup.migrateOnStart) {
    const ran = await migrateDatabase(startup.migrationDatabaseUrl ?? database.url, migrations);
    if (ran.length) console.log(`migrations: ran ${ran.length} (${ran[ran.length - 1]} last)`);
  }

  if (database.embedded || startup.seedPilot) {
    const ds = await createDataSource({ url: database.url, poolSize: 1 }).initialize();
    const [{ n }] = await ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM data_file');
    if (n === 0) {
      console.log('seeding the pilot data set (44,000 files, 8,000 permissions)...');
      const started = Date.now();
      const result = await seedPilot(ds, PILOT_DEFAULTS);
      console.log(
        `seeded ${result.filesInserted} files and ${result.grantsInserted} permissions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    await ds.destroy();
  }

  const tokens = new Tokens(config.auth);
  const adminToken = developmentSecrets.includes('JWT_SECRET')
    ? await tokens.mint({
        subject: 'dev-admin',
        departmentCode: 'beijing-government-services-and-data-bureau',
        roles: ['PLATFORM_ADMIN', 'STEWARD'],
      })
    : undefined;
  const app = await createApp({
    config,
    database: { url: database.url, poolSize: database.poolSize },
    graphiqlHeaders: adminToken ? JSON.stringify({ Authorization: `Bearer ${adminToken}` }) : undefined,
    // Development sign-in only where the service made its own secrets; production tokens come from the identity provider.
    console: { devTokens: developmentSecrets.includes('JWT_SECRET') ? tokens : undefined },
  });
  await app.listen(config.port, config.host);
  stopOnSignals(app, database, config.shutdownGraceMs);
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;

  console.log(`
District data directory exchange
  GraphQL:  ${url}/graphql
  Console:  ${url}/console
  GraphiQL: ${url}/graphiql${adminToken ? ' (the headers editor already carries the token below)' : ''}
  Database: ${database.embedded ? `embedded PostgreSQL in ${join(dataDir, 'pglite')}` : 'DATABASE_URL'}
`);
  if (adminToken) {
    console.log(`A PLATFORM_ADMIN development token (8 hours):
  ${adminToken}

Try:
  export TOKEN=${adminToken}
  curl -s ${url}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"${EXAMPLE_QUERY.replaceAll('"', '\\"')}"}'

Tokens for other departments and roles (departments: { departments(districtCode: "chaoyang") { code } }):
  npm run cli -- token --department beijing-health-commission --roles STEWARD
  npm run cli -- token --department chaoyang-civil-affairs-bureau --roles MEMBER
`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`configuration: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
