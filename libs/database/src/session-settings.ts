import type { DataSource } from 'typeorm';
import { onFirstUse } from './first-use.js';

/**
 * Gives every pooled connection of the data source these settings for its
 * session, with one SET statement on its first use. A startup parameter
 * (`options`) would do on PostgreSQL, but the embedded database ignores it.
 */
export function startSessionsWith(dataSource: DataSource, settings: Record<string, string>): void {
  const names = Object.keys(settings);
  if (names.length === 0) return;
  const statement = names.map((name) => `SET ${name} = ${settings[name]}`).join('; ');
  onFirstUse(dataSource, async (connection) => {
    await connection.query(statement);
  });
}
