import type { DataSource } from 'typeorm';

/** A pooled pg client as the driver hands it out. */
export interface PooledConnection {
  query: (config: unknown, values?: unknown, callback?: unknown) => unknown;
}

type Obtain = () => Promise<[PooledConnection, (error?: unknown) => unknown]>;

/**
 * Runs `prepare` on each pooled connection of the data source, the primary's
 * and the replicas', the first time the driver hands it out (TypeORM takes
 * every connection through obtainMasterConnection or obtainSlaveConnection),
 * before anything runs on it. A connection whose preparation fails is
 * released as broken.
 */
export function onFirstUse(dataSource: DataSource, prepare: (connection: PooledConnection) => void | Promise<void>): void {
  const prepared = new WeakSet<object>();
  const driver = dataSource.driver as unknown as { obtainMasterConnection: Obtain; obtainSlaveConnection: Obtain };
  const wrap =
    (obtain: Obtain): Obtain =>
    async () => {
      const [connection, release] = await obtain();
      if (!prepared.has(connection)) {
        try {
          await prepare(connection);
        } catch (error) {
          release(error);
          throw error;
        }
        prepared.add(connection);
      }
      return [connection, release];
    };
  driver.obtainMasterConnection = wrap(driver.obtainMasterConnection.bind(driver));
  driver.obtainSlaveConnection = wrap(driver.obtainSlaveConnection.bind(driver));
}
