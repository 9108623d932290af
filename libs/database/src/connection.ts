import { Socket } from 'node:net';
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres } from './embedded-postgres.js';

export interface ResolvedDatabase {
  url: string;
  poolSize: number;
  embedded: boolean;
  stop(): Promise<void>;
}

export const DEFAULT_POOL_SIZE = 10;

/** DATABASE_URL and DATABASE_POOL_SIZE, checked (see readEnvironment). */
export interface DatabaseTarget {
  url?: string;
  poolSize?: number;
}

/**
 * DATABASE_URL when it is set; otherwise the embedded PostgreSQL, keeping its
 * data in `dataDir` (in memory when that is undefined).
 */
export async function resolveDatabase(target: DatabaseTarget, dataDir: string | undefined): Promise<ResolvedDatabase> {
  if (target.url) {
    return { url: target.url, poolSize: target.poolSize ?? DEFAULT_POOL_SIZE, embedded: false, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres(dataDir);
  return { url: embedded.url, poolSize: EMBEDDED_POOL_SIZE, embedded: true, stop: () => embedded.stop() };
}

/** True when something accepts TCP connections at host:port within the timeout. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}
