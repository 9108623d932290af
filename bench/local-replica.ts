import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A streaming replica of a PostgreSQL primary in a directory of its own, on
 * another loopback port: `pg_basebackup -R` (which writes standby.signal and
 * the primary's conninfo), then `pg_ctl start`. PostgreSQL refuses to run as
 * root, so as root the replica is made and run by the `postgres` user.
 */
export interface LocalReplica {
  port: number;
  dir: string;
  /** The replica's URL for a database of the primary (the replica holds all of them). */
  url(database: string): string;
  stop(): Promise<void>;
  /** Stops it if running and removes its files; never throws. */
  drop(): Promise<void>;
}

/** Why a replica cannot be made here, or undefined if it can. */
export function localReplicaUnavailable(): string | undefined {
  for (const binary of ['pg_basebackup', 'pg_ctl', 'postgres'])
    if (!existsSync(join(PG_BIN, binary))) return `no ${binary} in ${PG_BIN} (set PG_BIN to PostgreSQL's bin directory)`;
  if (userInfo().uid === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'root without runuser';
  return undefined;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const asRoot = userInfo().uid === 0;

/** A PostgreSQL binary, as the postgres user when we are root. */
function pgBinary(binary: string, args: string[], cwd: string) {
  const path = join(PG_BIN, binary);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', path, ...args], { cwd }) : run(path, args, { cwd });
}

async function postgresOwns(path: string): Promise<void> {
  if (!asRoot) return;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  await chown(path, await id('-u'), await id('-g'));
}

async function primarySettings(primaryUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: primaryUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('wal_level', 'max_wal_senders', 'max_connections', 'max_worker_processes', 'max_prepared_transactions', 'max_locks_per_transaction')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
  }
}

/** Refusals a replica's maker can explain: the primary's settings or its pg_hba.conf. */
export class ReplicaRefused extends Error {}

export async function startLocalReplica(options: { primaryUrl: string; port: number; dir: string }): Promise<LocalReplica> {
  const { primaryUrl, port, dir } = options;
  const settings = await primarySettings(primaryUrl);
  if (!['replica', 'logical'].includes(settings.wal_level))
    throw new ReplicaRefused(`the primary's wal_level is ${settings.wal_level}: streaming needs replica (a restart of the primary)`);
  if (Number(settings.max_wal_senders) < 1) throw new ReplicaRefused(`the primary's max_wal_senders is 0 (a restart of the primary)`);

  const data = join(dir, 'data');
  await mkdir(dir, { recursive: true });
  await postgresOwns(dir);
  const primary = new URL(primaryUrl);
  try {
    // -X stream: the WAL written during the copy comes along; -R: standby.signal and primary_conninfo.
    // No replication slot: a slot left behind by a dropped replica would keep WAL on the primary for ever.
    await pgBinary(
      'pg_basebackup',
      [
        '-h',
        primary.hostname,
        '-p',
        primary.port || '5432',
        '-U',
        decodeURIComponent(primary.username || 'postgres'),
        '-D',
        data,
        '-X',
        'stream',
        '-R',
        '-c',
        'fast',
        '--no-sync',
      ],
      dir,
    );
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    if (/pg_hba\.conf/.test(stderr))
      throw new ReplicaRefused(
        `the primary refuses replication connections from here; add to its pg_hba.conf\n` +
          `  host replication ${decodeURIComponent(primary.username || 'postgres')} 127.0.0.1/32 trust\n` +
          `and reload it (SELECT pg_reload_conf(); no restart), or run with --allow-replication`,
      );
    throw new ReplicaRefused(`pg_basebackup failed: ${stderr.trim()}`);
  }
  // The copy carries the primary's data directory only (a packaged server keeps its configuration
  // elsewhere), so the replica gets configuration of its own. Hot standby needs these at least as
  // large as the primary's.
  const conf = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${dir}'`,
    `hot_standby = on`,
    // Tell the primary which rows the replica's queries still read, so that vacuum does not cancel them.
    `hot_standby_feedback = on`,
    `shared_buffers = '64MB'`,
    `fsync = off`,
    ...['max_connections', 'max_worker_processes', 'max_prepared_transactions', 'max_locks_per_transaction', 'max_wal_senders'].map(
      (name) => `${name} = ${settings[name]}`,
    ),
  ];
  for (const [file, text] of [
    ['postgresql.conf', conf.join('\n')],
    ['pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 trust\n'],
    ['pg_ident.conf', ''],
  ] as const) {
    await writeFile(join(data, file), `${text}\n`);
    await postgresOwns(join(data, file));
  }
  // Settings the primary made with ALTER SYSTEM (its port, say) would override ours: only what -R wrote stays.
  const auto = await readFile(join(data, 'postgresql.auto.conf'), 'utf8');
  await writeFile(
    join(data, 'postgresql.auto.conf'),
    auto
      .split('\n')
      .filter((line) => /^primary_(conninfo|slot_name)\b/.test(line))
      .join('\n') + '\n',
  );
  await postgresOwns(join(data, 'postgresql.auto.conf'));
  const pgCtl = (args: string[]) => pgBinary('pg_ctl', ['-D', data, '-w', '-t', '60', ...args], dir);
  const replica: LocalReplica = {
    port,
    dir,
    url: (database) => `postgres://${primary.username || 'postgres'}@127.0.0.1:${port}/${database}`,
    async stop() {
      await pgCtl(['stop', '-m', 'fast']);
    },
    async drop() {
      await pgCtl(['stop', '-m', 'immediate']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  try {
    await pgCtl(['start', '-l', join(dir, 'server.log')]);
  } catch (error) {
    await replica.drop();
    throw error;
  }
  return replica;
}

/** True when the server at `url` is a replica in recovery (hot standby). */
export async function inRecovery(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r;
  } finally {
    await client.end();
  }
}
