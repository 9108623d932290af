import 'reflect-metadata';
import { createDataSource } from '@app/database';
import { migrations } from './index.js';

/**
 * What `npm run migration:run|revert|show` use: the schema owner's connection.
 * MIGRATION_DATABASE_URL wins over DATABASE_URL, since in production the
 * application's own role may not alter the schema.
 */
const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL (or MIGRATION_DATABASE_URL) to the PostgreSQL to migrate, e.g. postgres://postgres@127.0.0.1:5432/exchange');
  process.exit(2);
}

export default createDataSource({ url, poolSize: 1, migrations });
