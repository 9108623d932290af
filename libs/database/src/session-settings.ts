import type { DataSource } from 'typeorm';

type Obtain = () => Promise<[{ query: (text: string) => Promise<unknown> }, (error?: unknown) => unknown]>;

/**
 * Gives every pooled connection of the data source these settings for its
 * session, with one SET statement on its first use. A startup parameter
 * (`options`) would do on PostgreSQL, but the embedded database ignores it.
 */
export function startSessionsWith(dataSource: DataSource, settings: Record<string, string>): void {
  const names = Object.keys(settings);
  if (names.length === 0) return;
  const statement = names.map((name) => `SET ${name} = ${settings[name]}`).join('; ');
  const started = new WeakSet<object>();
  const driver = dataSource.driver as unknown as { obtainMasterConnection: Obtain; obtainSlaveConnection: Obtain };
  const wrap =
    (obtain: Obtain): Obtain =>
    async () => {
      const [connection, release] = await obtain();
      if (!started.has(connection)) {
        try {
          await connection.query(statement);
        } catch (error) {
          release(error);
          throw error;
        }
        started.add(connection);
      }
      return [connection, release];
    };
  driver.obtainMasterConnection = wrap(driver.obtainMasterConnection.bind(driver));
  driver.obtainSlaveConnection = wrap(driver.obtainSlaveConnection.bind(driver));
}
