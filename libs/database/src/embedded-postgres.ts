import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

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
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    claim(dataDir);
  }
  // Loaded here, not at import: a service given DATABASE_URL never pays PGlite's 10 MB or so of memory.
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
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
      if (dataDir) rmSync(lockFile(dataDir), { force: true });
    },
  };
}

/** PGlite serves one session at a time; a larger pool would deadlock on its queue. */
export const EMBEDDED_POOL_SIZE = 1;

const lockFile = (dataDir: string) => `${dataDir}.pid`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Two processes on one PGlite folder would corrupt it: the second one is refused. */
function claim(dataDir: string): void {
  let holder = NaN;
  try {
    holder = Number(readFileSync(lockFile(dataDir), 'utf8'));
  } catch {
    // no holder
  }
  if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
    throw new Error(
      `the embedded database in ${dataDir} is in use by process ${holder} (is the service running?); stop it, or set DATABASE_URL`,
    );
  }
  writeFileSync(lockFile(dataDir), String(process.pid));
}
