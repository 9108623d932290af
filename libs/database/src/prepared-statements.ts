import type { DataSource } from 'typeorm';
import { onFirstUse } from './first-use.js';

/** Statement texts sent as named prepared statements, with their names. */
const names = new Map<string, string>();

/**
 * How many distinct texts of each kind may be prepared: each connection keeps
 * a plan for each it ran. Past this, texts of that kind run unnamed, as every
 * other statement does. Fixed statements and statements whose text follows
 * the shape of a request (which filters a listing names) have separate
 * budgets, so that however many shapes clients ask for, the fixed hot
 * statements are still prepared.
 */
const BUDGETS = { fixed: 128, shaped: 64 } as const;
const used = { fixed: 0, shaped: 0 };

/**
 * Marks a hot statement's text to be sent as a named prepared statement
 * (returned as is, for the caller to run as usual): each connection parses
 * and plans it once, then only binds and runs it, and PostgreSQL settles on
 * a generic plan when it costs no more than planning each time. Every value
 * must be bound as a parameter. `fixed`: the text has one form (or a few);
 * `shaped`: it varies with the request's shape, within a bounded number of
 * forms, and the first 64 seen are prepared.
 */
export function prepared(text: string, kind: keyof typeof BUDGETS = 'fixed'): string {
  if (!names.has(text) && used[kind] < BUDGETS[kind]) {
    used[kind] += 1;
    names.set(text, `prepared_${names.size + 1}`);
  }
  return text;
}

/** Connections made to send texts by name so far, in this process. */
let connections = 0;

/**
 * Makes every pooled connection of the data source send the texts marked by
 * `prepared` by name. TypeORM runs a statement as `connection.query(text,
 * values)` on a connection taken through its driver (obtainMasterConnection,
 * or obtainSlaveConnection for a replica), so its logging, query runners and
 * transactions see the same text as before.
 */
export function runPreparedByName(dataSource: DataSource): void {
  onFirstUse(dataSource, (connection) => {
    const query = connection.query.bind(connection);
    // Names of this connection's own: the embedded database serves every connection in its one session,
    // where a second client (another pool, a reconnection) preparing the same name would be refused.
    const own = `_${++connections}`;
    connection.query = (config, values, callback) => {
      const name = typeof config === 'string' ? names.get(config) : undefined;
      return name ? query({ name: name + own, text: config, values }, callback) : query(config, values, callback);
    };
  });
}
