import pg from 'pg';

/** Drops the template database global-setup.mjs made (test databases drop themselves). */
export default async function globalTeardown() {
  const { env } = globalThis.process;
  if (!env.TEST_SERVER_URL || !env.TEST_TEMPLATE_DB) return;
  const client = new pg.Client({ connectionString: env.TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${env.TEST_TEMPLATE_DB} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
