import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A connection string the ordinary `pg` driver understands. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves PGlite (a WebAssembly build of PostgreSQL) on a local TCP port so that
 * the application talks to it through `pg` exactly as to a real server.
 * PGlite has a single session: callers must size their pool to one connection.
 *
 * @param dataDir folder that keeps the data between runs; `undefined` keeps it in memory
 * @param port 0 picks a free port
 */
export async function startEmbeddedPostgres(dataDir: string | undefined, port = 0): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  // PGlite runs one session; the socket server queues every connection's queries into it.
  // Our pools hold one connection, but a pool that just closed may not be gone yet
  // when the next one connects, so the server accepts a few.
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** PGlite serves one session at a time; a larger pool would deadlock on its queue. */
export const EMBEDDED_POOL_SIZE = 1;
