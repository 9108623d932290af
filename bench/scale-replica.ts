/**
 * npm run scale:replica — a real streaming replica of a PostgreSQL on this
 * machine, for the service's DATABASE_REPLICA_URLS:
 *
 *   npm run scale:replica                       # replica of DATABASE_URL (else 127.0.0.1:5432) on a free port
 *   npm run scale:replica -- --port 5433 --dir .data/replica
 *   npm run scale:replica -- --allow-replication  # first add a replication line to the local primary's pg_hba.conf and reload it
 *   npm run scale:replica -- --stop --dir .data/replica
 *
 * `pg_basebackup -R -X stream` copies the primary into `--dir` and the copy
 * is started with pg_ctl as a hot standby that streams from the primary. It
 * stays up until `--stop`. Nothing on the primary is restarted: the only
 * change it may make there (with --allow-replication) is one pg_hba.conf
 * line and a configuration reload.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, inRecovery, localReplicaUnavailable, PG_BIN, ReplicaRefused, startLocalReplica } from './local-replica.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const primaryUrl = option('primary') ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = ((d) => (isAbsolute(d) ? d : resolve(d)))(option('dir') ?? '.data/replica');

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: primaryUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** One trust line for replication from loopback, then a reload: sessions of the primary are untouched. */
async function allowReplication(): Promise<void> {
  const user = decodeURIComponent(new URL(primaryUrl).username || 'postgres');
  const [{ hba_file: hba }] = await query<{ hba_file: string }>('SHOW hba_file');
  const line = `host replication ${user} 127.0.0.1/32 trust`;
  if ((await readFile(hba, 'utf8')).split('\n').some((l) => l.trim().replace(/\s+/g, ' ') === line)) return;
  await appendFile(hba, `\n# streaming replicas on this machine (npm run scale:replica)\n${line}\n`);
  const [{ ok }] = await query<{ ok: boolean }>('SELECT pg_reload_conf() AS ok');
  console.log(`added to ${hba}: ${line} (configuration reloaded: ${ok})`);
}

async function main(): Promise<void> {
  if (args.includes('--stop')) {
    await promisify(execFile)(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), 'stop', '-m', 'fast']).catch(async () => {
      // As root the server runs as postgres, and pg_ctl must too.
      await promisify(execFile)('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', join(dir, 'data'), 'stop', '-m', 'fast']);
    });
    console.log(`stopped the replica in ${dir} (remove the directory to forget it)`);
    return;
  }
  const unavailable = localReplicaUnavailable();
  if (unavailable) throw new ReplicaRefused(`a replica cannot be made here: ${unavailable}`);
  if (args.includes('--allow-replication')) await allowReplication();
  const port = Number(option('port') ?? (await freePort()));
  const started = Date.now();
  console.log(`copying ${new URL(primaryUrl).host} into ${dir} (pg_basebackup)...`);
  const replica = await startLocalReplica({ primaryUrl, port, dir });
  const database = new URL(primaryUrl).pathname.slice(1) || 'postgres';
  const url = replica.url(database);
  if (!(await inRecovery(url))) throw new Error('the copy started but is not in recovery: it is not a replica');
  const [lag] = await query<{ state: string; replay_lag: string | null }>(
    `SELECT state, replay_lag::text FROM pg_stat_replication WHERE application_name = 'walreceiver' ORDER BY backend_start DESC LIMIT 1`,
  );
  console.log(`
a streaming replica on port ${port}, made in ${((Date.now() - started) / 1000).toFixed(1)} s (primary sees it: ${lag ? lag.state : 'not yet'})
  data:  ${join(dir, 'data')} (log: ${join(dir, 'server.log')})
  use:   DATABASE_URL=${primaryUrl.replace(/:[^:@/]*@/, ':***@')} DATABASE_REPLICA_URLS=${url} npm start
  stop:  npm run scale:replica -- --stop --dir ${dir}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ReplicaRefused ? `scale:replica: ${error.message}` : error);
  process.exit(1);
});
