import pg from 'pg';
import { isListening, migrateDatabase } from '@app/database';
import { migrations } from '../migrations/index.js';
import { TEST_SERVER_ENV, TEST_TEMPLATE_ENV } from '@app/testing';

// Unique per run, so that two runs on one server do not drop each other's template.
const TEMPLATE = `exchange_test_template_${process.pid}`;

/**
 * Run by global-setup.mjs in its own process (Jest's global setup cannot
 * resolve the @app aliases). Picks the PostgreSQL the tests use: DATABASE_URL, else a server answering on
 * 127.0.0.1:5432, else none (each test file then starts an embedded one).
 * On a server, migrates a template database once; test files clone it.
 */
async function prepare(): Promise<Record<string, string>> {
  // TEST_DATABASE=embedded runs the suite as on a machine with no PostgreSQL at all.
  const serverUrl =
    process.env.TEST_DATABASE === 'embedded'
      ? undefined
      : (process.env.DATABASE_URL ?? ((await isListening('127.0.0.1', 5432)) ? 'postgres://postgres@127.0.0.1:5432/postgres' : undefined));
  if (!serverUrl) {
    console.error('tests: no PostgreSQL found; each test file uses an embedded one (tests that need concurrent sessions skip themselves)');
    return {};
  }
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${TEMPLATE}`;
  await migrateDatabase(url.toString(), migrations);
  console.error(`tests: PostgreSQL at ${url.host}; every test file gets its own database cloned from ${TEMPLATE}`);
  return { [TEST_SERVER_ENV]: serverUrl, [TEST_TEMPLATE_ENV]: TEMPLATE };
}

// The last line of stdout is what the tests' environment gains.
console.log(JSON.stringify(await prepare()));
