import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.CHAOS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of its own (initdb + pg_ctl, run as the `postgres`
 * user) on a free loopback port, for a fault that must not touch a shared
 * server: restarting it. Trust auth, socket and data in one temporary
 * directory, removed by `drop`.
 */
export interface ThrowawayCluster {
  /** The cluster's `postgres` database, as a URL. */
  url: string;
  /** Stops the server (`pg_ctl stop -m <mode>`), resolving once it is down. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again, resolving once it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes its files; never throws. */
  drop(): Promise<void>;
}

/** Why a throwaway cluster cannot be made here, or undefined if it can. */
export function throwawayClusterUnavailable(): string | undefined {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) return `no initdb/pg_ctl in ${BIN}`;
  if (userInfo().uid !== 0) return 'not root (the cluster runs as the postgres user)';
  return undefined;
}

export async function createThrowawayCluster(port: number): Promise<ThrowawayCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'chaos-pg-'));
  const data = join(dir, 'data');
  const asPostgres = (file: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(BIN, file), ...args], { cwd: dir });
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  const pgCtl = (args: string[]) => asPostgres('pg_ctl', ['-D', data, '-w', '-t', '30', ...args]);
  const cluster: ThrowawayCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode) {
      await pgCtl(['stop', '-m', mode]);
    },
    async start() {
      // Loopback only; the socket stays in the temporary directory; small, since it lives for a minute.
      const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c shared_buffers=16MB -c max_connections=40`;
      await pgCtl(['start', '-l', join(dir, 'server.log'), '-o', options]);
    },
    async drop() {
      // Fails harmlessly when the server is already down; the files go regardless.
      await pgCtl(['stop', '-m', 'immediate']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  try {
    await chown(dir, await id('-u'), await id('-g'));
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await cluster.start();
  } catch (error) {
    await cluster.drop();
    throw error;
  }
  return cluster;
}
