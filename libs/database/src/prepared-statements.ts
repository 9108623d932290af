import type { DataSource } from 'typeorm';

/** Statement texts sent as named prepared statements, with their names. */
const names = new Map<string, string>();

/**
 * How many distinct texts may be prepared: each connection keeps a plan for
 * each it ran. Past this, texts run unnamed, as every other statement does.
 */
const MAX_PREPARED = 256;

/**
 * Marks a hot statement's text to be sent as a named prepared statement
 * (returned as is, for the caller to run as usual): each connection parses
 * and plans it once, then only binds and runs it, and PostgreSQL settles on
 * a generic plan when it costs no more than planning each time. Only for a
 * text of a fixed shape, every value bound as a parameter; a text that may
 * vary without bound (values written into it) must not be marked.
 */
export function prepared(text: string): string {
  if (names.size < MAX_PREPARED && !names.has(text)) names.set(text, `prepared_${names.size + 1}`);
  return text;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;
type Obtain = () => Promise<[{ query: Query }, (error?: unknown) => unknown]>;

const byName = new WeakSet<object>();

/**
 * Makes every pooled connection of the data source send the texts marked by
 * `prepared` by name. TypeORM runs a statement as `connection.query(text,
 * values)` on a connection taken through its driver (obtainMasterConnection,
 * or obtainSlaveConnection for a replica), so its logging, query runners and
 * transactions see the same text as before.
 */
export function runPreparedByName(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { obtainMasterConnection: Obtain; obtainSlaveConnection: Obtain };
  const wrap =
    (obtain: Obtain): Obtain =>
    async () => {
      const [connection, release] = await obtain();
      if (!byName.has(connection)) {
        byName.add(connection);
        const query = connection.query.bind(connection);
        connection.query = (config, values, callback) => {
          const name = typeof config === 'string' ? names.get(config) : undefined;
          return name ? query({ name, text: config, values }, callback) : query(config, values, callback);
        };
      }
      return [connection, release];
    };
  driver.obtainMasterConnection = wrap(driver.obtainMasterConnection.bind(driver));
  driver.obtainSlaveConnection = wrap(driver.obtainSlaveConnection.bind(driver));
}
