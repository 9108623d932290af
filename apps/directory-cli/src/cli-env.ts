import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { applyDevelopmentSecrets, readEnvironment } from '@app/common';
import { createDataSource, resolveDatabase } from '@app/database';

/**
 * The CLI reaches the same database and secrets as `npm start` does: DATABASE_URL,
 * else the embedded database in the data folder (the service must not be running then,
 * since the embedded database serves one process).
 */
export async function openDatabase(): Promise<{ db: DataSource; close(): Promise<void> }> {
  const environment = readEnvironment(process.env);
  applyDevelopmentSecrets(process.env, environment.DATA_DIR);
  const target = { url: environment.DATABASE_URL, poolSize: environment.DATABASE_POOL_SIZE };
  const resolved = await resolveDatabase(target, join(environment.DATA_DIR, 'pglite'));
  const db = await createDataSource({ url: resolved.url, poolSize: resolved.poolSize, applicationName: 'directory-cli' }).initialize();
  return {
    db,
    async close() {
      await db.destroy();
      await resolved.stop();
    },
  };
}

export function developmentEnv(): NodeJS.ProcessEnv {
  applyDevelopmentSecrets(process.env, readEnvironment(process.env).DATA_DIR);
  return process.env;
}
