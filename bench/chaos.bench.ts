/**
 * npm run bench:chaos — the exchange workload over HTTP against the real
 * service process on a scratch database (loopback only, bounded), under three
 * faults:
 *   1. kill -9 of the service mid-load, restarted, several times;
 *   2. every database connection of the service cut mid-load (pg_terminate_backend);
 *   3. the pool exhausted (two connections held on a lock): the other requests
 *      must fail with SERVICE_UNAVAILABLE within the acquire timeout;
 *   4. PostgreSQL itself restarted mid-load (stopped, held down, started): on a
 *      throwaway cluster of its own, never the shared server; requests must fail
 *      with SERVICE_UNAVAILABLE or TIMEOUT while it is down, readiness go red,
 *      and the service recover by itself. Skipped with a line where no cluster
 *      can be made (no initdb, not root).
 * After phases 1–3 and again after 4 it checks the data: every exchange has
 * exactly the audit entries its status implies, every exchange entry's exchange
 * exists (orphans), no ledger has a gap or fork, and `audit:verify` passes.
 * Prints the figures.
 */
import 'reflect-metadata';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { loadAuthConfig, Tokens, type Actor, type Role } from '@app/auth';
import { createDataSource } from '@app/database';
import type { DataSource } from 'typeorm';
import { domainServices } from './domain-services.js';
import { fmt, scratchDatabase } from './bench-database.js';
import { createThrowawayCluster, throwawayClusterUnavailable, type ThrowawayCluster } from './throwaway-cluster.js';

const CLIENTS = Number(process.env.CHAOS_CLIENTS ?? 8);
const KILLS = Number(process.env.CHAOS_KILLS ?? 3);
const LOAD_MS = Number(process.env.CHAOS_LOAD_MS ?? 3000);
/** How long PostgreSQL stays down in phase 4, and how it is stopped. */
const PG_DOWN_MS = Number(process.env.CHAOS_PG_DOWN_MS ?? 2000);
const PG_STOP_MODE = process.env.CHAOS_PG_STOP_MODE === 'immediate' ? 'immediate' : 'fast';
const DISTRICTS = ['dongcheng', 'xicheng'];
const JWT_SECRET = randomBytes(32).toString('hex');
const AUDIT_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

interface Service {
  child: ChildProcess;
  url: string;
  /** Spawn to the first 200 from /health/ready. */
  readyMs: number;
}

/** `logs`, when given, collects the service's log lines (JSON) at LOG_LEVEL, which should then be raised from fatal. */
async function startService(databaseUrl: string, port: number, env: Record<string, string> = {}, logs?: string[]): Promise<Service> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'apps/directory-api/src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '',
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      AUDIT_SIGNING_KEY,
      PORT: String(port),
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'fatal',
      RATE_LIMIT_PER_MINUTE: '1000000',
      AUDIT_CHECKPOINT_EVERY_SECONDS: '1',
      AUDIT_CHECKPOINT_EVERY_ENTRIES: '20',
      ...env,
    },
    // The service's own error lines (the faults below cause many) are shown only if it fails to start.
    stdio: ['ignore', logs ? 'pipe' : 'ignore', 'pipe'],
  });
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    logs?.push(...lines.filter(Boolean));
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${stderr}`);
    if (
      await fetch(`${url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url, readyMs: Date.now() - started };
    await sleep(50);
  }
}

const killHard = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
};

/** SIGTERM, so that the service flushes its logs; SIGKILL past 10 s. */
const stopGently = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};

interface Answer {
  status: number;
  code?: string;
  data?: any;
  /** When it was sent (epoch ms), and how long it took. */
  at: number;
  ms: number;
}

async function gql(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const started = Date.now();
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    return { status: response.status, code: body.errors?.[0]?.extensions?.code, data: body.data, at: started, ms: Date.now() - started };
  } catch {
    return { status: 0, code: 'NETWORK', at: started, ms: Date.now() - started };
  }
}

const REQUEST = `mutation Request($input: RequestExchangeInput!) { requestExchange(input: $input) { id status } }`;
const APPROVE = `mutation Approve($id: ID!) { approveExchange(id: $id, note: "chaos") { id status } }`;
const DELIVER = `mutation Deliver($id: ID!) { deliverExchange(id: $id) { contentHash } }`;

class Tally {
  sent = 0;
  failed = 0;
  /** When the first request sent at or after `since` succeeded (epoch ms). */
  firstOkAt?: number;
  readonly codes = new Map<string, number>();
  constructor(private readonly since = 0) {}
  count(answer: Answer): boolean {
    this.sent += 1;
    const ok = answer.status === 200 && !answer.code;
    if (ok && this.firstOkAt === undefined && answer.at >= this.since) this.firstOkAt = answer.at + answer.ms;
    if (!ok) {
      this.failed += 1;
      const key = answer.code ?? String(answer.status);
      this.codes.set(key, (this.codes.get(key) ?? 0) + 1);
    }
    return ok;
  }
  summary(): string {
    return `${fmt(this.sent)} requests, ${fmt(this.failed)} failed (${[...this.codes].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`;
  }
}

/** Each client runs request -> approve -> deliver cycles until `stop` says so, counting every answer in the tally of the moment. */
type Load = (tally: () => Tally, stop: () => boolean, url: () => string) => Promise<unknown>;

/** Setup through the services: one file per district, one requesting office per client, each let read its target's catalogue. */
async function prepareWorkload(db: DataSource, tokens: Tokens): Promise<{ clientTokens: string[]; load: Load }> {
  const { directory, access, exchanges, permissions } = await domainServices(db);
  const actor = async (code: string, roles: Role[]): Promise<Actor> => ({
    subject: 'chaos',
    roles,
    department: (await directory.departmentByCode(code))!,
  });
  const files: { fileId: string; ownerCode: string; districtId: string }[] = [];
  for (const district of DISTRICTS) {
    const owner = await actor(`${district}-health-commission`, ['STEWARD']);
    const policy = await access.policyFor(owner);
    const file = await directory.registerFile(policy, {
      code: 'chaos-visits',
      title: 'Clinic visits',
      classification: 'RESTRICTED',
      category: 'medical records',
      format: 'table',
      fields: ['age', 'diagnosis_code', 'visit_date'].map((name) => ({ name, type: name === 'age' ? 'integer' : 'string' })),
    });
    await exchanges.publishRecords(
      policy,
      file.id,
      Array.from({ length: 50 }, (_, i) => ({ age: 20 + i, diagnosis_code: `E${i}`, visit_date: '2026-05-01' })),
    );
    files.push({ fileId: file.id, ownerCode: owner.department.code, districtId: owner.department.districtId });
  }
  const clients: { code: string; target: (typeof files)[number] }[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const district = DISTRICTS[c % DISTRICTS.length];
    const code = `${district}-chaos-office-${c}`;
    await db.query(`INSERT INTO department (code, name, district_id) SELECT $1, $1, id FROM district WHERE code = $2`, [code, district]);
    const target = files[(c + 1) % files.length];
    const owner = await actor(target.ownerCode, ['STEWARD']);
    await permissions.grant(await access.policyFor(owner), {
      fileId: target.fileId,
      granteeDepartmentCode: code,
      actions: ['READ'],
      purpose: 'chaos',
    });
    clients.push({ code, target });
  }
  const stewardTokens = new Map<string, string>();
  for (const f of files)
    stewardTokens.set(f.ownerCode, await tokens.mint({ subject: 'steward', departmentCode: f.ownerCode, roles: ['STEWARD'] }));
  const clientTokens = await Promise.all(clients.map((c) => tokens.mint({ subject: 'member', departmentCode: c.code, roles: ['MEMBER'] })));

  const load: Load = (tally, stop, url) =>
    Promise.all(
      clients.map(async (client, c) => {
        let n = 0;
        while (!stop()) {
          n += 1;
          // Counted in the tally of the moment the answer came.
          const send = async (token: string, query: string, variables: Record<string, unknown>) => {
            const answer = await gql(url(), token, query, variables);
            return { answer, ok: tally().count(answer) };
          };
          const requested = await send(clientTokens[c], REQUEST, {
            input: { fileId: client.target.fileId, fields: ['age', 'visit_date'], purpose: `chaos ${c}-${n}` },
          });
          if (!requested.ok) {
            await sleep(20);
            continue;
          }
          const { id, status } = requested.answer.data.requestExchange as { id: string; status: string };
          // Once an approval's grant covers the fields, later requests are approved at once.
          if (status === 'REQUESTED' && !(await send(stewardTokens.get(client.target.ownerCode)!, APPROVE, { id })).ok) continue;
          await send(clientTokens[c], DELIVER, { id });
        }
      }),
    );
  return { clientTokens, load };
}

/** The data afterwards: orphans, entries per status, gaps, forks, audit:verify. Prints a line; false if anything is wrong. */
async function checkIntegrity(db: DataSource, databaseUrl: string, label: string): Promise<boolean> {
  const [integrity] = await db.query<Record<string, number>[]>(`
    SELECT
      (SELECT count(*) FROM exchange)::int AS exchanges,
      (SELECT count(*) FROM audit_entry)::int AS entries,
      (SELECT count(*) FROM audit_entry e WHERE subject_type = 'Exchange'
         AND NOT EXISTS (SELECT 1 FROM exchange x WHERE x.id::text = e.subject_id))::int AS orphans,
      (SELECT count(*) FROM exchange x WHERE
         (SELECT array_agg(action ORDER BY action) FROM audit_entry e WHERE e.subject_type = 'Exchange' AND e.subject_id = x.id::text)
         IS DISTINCT FROM CASE x.status
           WHEN 'REQUESTED' THEN ARRAY['exchange.requested']
           WHEN 'APPROVED' THEN ARRAY['exchange.approved', 'exchange.requested']
           WHEN 'DELIVERED' THEN ARRAY['exchange.approved', 'exchange.delivered', 'exchange.requested']
           WHEN 'REJECTED' THEN ARRAY['exchange.rejected', 'exchange.requested'] END)::int AS mismatched,
      (SELECT count(*) FROM (SELECT ledger FROM audit_entry GROUP BY ledger HAVING count(*) <> max(seq)) g)::int AS gaps,
      (SELECT count(*) FROM (SELECT 1 FROM audit_entry GROUP BY ledger, prev_hash HAVING count(*) > 1) f)::int AS forks`);
  const byStatus = await db.query<{ status: string; n: number }[]>(
    `SELECT status, count(*)::int AS n FROM exchange GROUP BY status ORDER BY status`,
  );
  const verify = await promisify(execFile)(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'apps/directory-cli/src/main.ts', 'audit:verify'],
    {
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', DATABASE_URL: databaseUrl, AUDIT_SIGNING_KEY, JWT_SECRET },
    },
  ).then(
    ({ stdout }) => ({ ok: true, stdout }),
    (error: { stdout?: string }) => ({ ok: false, stdout: error.stdout ?? '' }),
  );
  const verified = [...verify.stdout.matchAll(/: ok, (\d+) entries/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  console.log(
    `  ${label}: ${fmt(integrity.exchanges)} exchanges (${byStatus.map((s) => `${s.status} ${s.n}`).join(', ')}), ${fmt(integrity.entries)} audit entries; ` +
      `orphans ${integrity.orphans}, exchanges whose entries do not match their status ${integrity.mismatched}, gaps ${integrity.gaps}, forks ${integrity.forks}; ` +
      `audit:verify ${verify.ok ? 'passed' : 'FAILED'}, ${fmt(verified)} entries verified`,
  );
  return verify.ok && !integrity.orphans && !integrity.mismatched && !integrity.gaps && !integrity.forks;
}

/** What the service logged about database faults and internal errors, by the driver's code and words. */
function faultCauses(logs: string[]): { mapped: Map<string, number>; internal: Map<string, number> } {
  const mapped = new Map<string, number>();
  const internal = new Map<string, number>();
  for (const line of logs) {
    let entry: { msg?: string; cause?: string; code?: string; err?: { message?: string; code?: string; driverError?: { code?: string } } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.msg === 'database fault') {
      const key = `${entry.code} <- ${entry.cause}`;
      mapped.set(key, (mapped.get(key) ?? 0) + 1);
    } else if (entry.msg === 'internal error') {
      const code = entry.err?.driverError?.code ?? entry.err?.code;
      const key = `${code ? `[${code}] ` : ''}${entry.err?.message}`;
      internal.set(key, (internal.get(key) ?? 0) + 1);
    }
  }
  return { mapped, internal };
}

const listed = (counts: Map<string, number>) => [...counts].map(([k, n]) => `${n} × ${k}`).join('; ') || 'none';

/**
 * 4. PostgreSQL restarted mid-load, on a throwaway cluster of its own (the
 * shared server is never touched): stopped, held down PG_DOWN_MS, started.
 */
async function postgresRestart(tokens: Tokens): Promise<boolean> {
  const unavailable = throwawayClusterUnavailable();
  if (unavailable) {
    console.log(`  4. PostgreSQL restart: skipped, no throwaway cluster can be made here (${unavailable})`);
    return true;
  }
  let cluster: ThrowawayCluster | undefined;
  let db: DataSource | undefined;
  let service: Service | undefined;
  // Interrupted, the service and the cluster still go: a postmaster left behind would hold its port and memory.
  const interrupted = () => {
    service?.child.kill('SIGKILL');
    void (cluster?.drop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    cluster = await createThrowawayCluster(await freePort());
    const scratch = await scratchDatabase('bench_chaos', cluster.url);
    const connect = () => createDataSource({ url: scratch.url, poolSize: 2, applicationName: 'bench' }).initialize();
    db = await connect();
    const { load } = await prepareWorkload(db, tokens);
    // The bench's own connections would be cut by the restart too; it reconnects afterwards.
    await db.destroy();
    db = undefined;
    const logs: string[] = [];
    service = await startService(scratch.url, await freePort(), { LOG_LEVEL: 'warn' }, logs);
    const url = service.url;

    const readiness: { at: number; status: number }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const status = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).then(
          (r) => r.status,
          () => 0,
        );
        readiness.push({ at: Date.now(), status });
        await sleep(50);
      }
    })();

    const before = new Tally();
    let current = before;
    let stopped = false;
    const running = load(
      () => current,
      () => stopped,
      () => url,
    );
    await sleep(LOAD_MS);
    const stopAt = Date.now();
    const outage = new Tally(stopAt);
    current = outage;
    await cluster.stop(PG_STOP_MODE);
    const downAt = Date.now();
    await sleep(PG_DOWN_MS);
    await cluster.start();
    const upAt = Date.now();
    // Bounded: the service has 30 s to serve a request again.
    while (outage.firstOkAt === undefined && Date.now() - upAt < 30_000) await sleep(20);
    const after = new Tally();
    current = after;
    await sleep(LOAD_MS);
    stopped = true;
    await running;
    watching = false;
    await watcher;
    await stopGently(service.child);
    service = undefined;

    const red = readiness.find((r) => r.at >= stopAt && r.status !== 200);
    const green = red && readiness.find((r) => r.at > red.at && r.status === 200);
    const rel = (at: number | undefined) => (at === undefined ? 'never' : `+${fmt(at - stopAt)} ms`);
    const { mapped, internal } = faultCauses(logs);
    const allowed = new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']);
    const unexpected = [...before.codes.keys(), ...outage.codes.keys(), ...after.codes.keys()].filter((code) => !allowed.has(code));
    console.log(
      `  4. PostgreSQL restarted (pg_ctl stop -m ${PG_STOP_MODE}, held down ${fmt(PG_DOWN_MS)} ms, pg_ctl start) on a throwaway cluster: ` +
        `before ${before.summary()}; from the stop until the first success ${outage.summary()}; after ${after.summary()}`,
    );
    console.log(
      `     timeline from the stop: server down ${rel(downAt)}, up again ${rel(upAt)}; /health/ready ${red ? `${red.status} ${rel(red.at)}` : 'never red'}, ` +
        `200 again ${rel(green?.at)}; first successful request ${rel(outage.firstOkAt)}` +
        (outage.firstOkAt === undefined ? '' : ` (${fmt(outage.firstOkAt - upAt)} ms after pg_ctl start returned)`) +
        (unexpected.length ? ` (UNEXPECTED CODES: ${[...new Set(unexpected)].join(', ')})` : ''),
    );
    console.log(`     database faults the service mapped: ${listed(mapped)}`);
    console.log(`     internal errors: ${listed(internal)}`);

    db = await connect();
    const intact = await checkIntegrity(db, scratch.url, 'afterwards (throwaway cluster)');
    return intact && !unexpected.length && !internal.size && outage.firstOkAt !== undefined && red !== undefined && green !== undefined;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (service) await killHard(service.child);
    await db?.destroy().catch(() => undefined);
    await cluster?.drop();
  }
}

async function main() {
  const scratch = await scratchDatabase('bench_chaos');
  const db = await createDataSource({ url: scratch.url, poolSize: 4, applicationName: 'bench' }).initialize();
  const tokens = new Tokens(loadAuthConfig({ JWT_SECRET }));
  let service: Service | undefined;
  try {
    const { clientTokens, load } = await prepareWorkload(db, tokens);

    const port = await freePort();
    service = await startService(scratch.url, port);
    console.log(`\nChaos: ${CLIENTS} clients running request -> approve -> deliver over HTTP, ${new Date().toISOString().slice(0, 10)}`);
    console.log(`  first start: ready in ${fmt(service.readyMs)} ms`);

    // 1. kill -9 mid-load, restart, repeat.
    const kills = new Tally();
    const restarts: number[] = [];
    let stopped = false;
    const running = load(
      () => kills,
      () => stopped,
      () => service!.url,
    );
    for (let k = 0; k < KILLS; k++) {
      await sleep(LOAD_MS);
      await killHard(service.child);
      service = await startService(scratch.url, port);
      restarts.push(service.readyMs);
    }
    await sleep(LOAD_MS);
    stopped = true;
    await running;
    console.log(`  1. kill -9 x${KILLS}: ${kills.summary()}; restart to ready ${restarts.map((ms) => fmt(ms)).join(', ')} ms`);

    // 2. every connection of the service cut mid-load.
    const cuts = new Tally();
    stopped = false;
    const cutLoad = load(
      () => cuts,
      () => stopped,
      () => service!.url,
    );
    await sleep(LOAD_MS / 2);
    const cutAt = Date.now();
    const [{ n: cut }] = await db.query<{ n: number }[]>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'directory-api'`,
    );
    let recoveredMs = NaN;
    const probeToken = clientTokens[0];
    for (;;) {
      const answer = await gql(service.url, probeToken, '{ me { subject } }');
      if (answer.status === 200 && !answer.code) {
        recoveredMs = Date.now() - cutAt;
        break;
      }
      if (Date.now() - cutAt > 30_000) break;
      await sleep(20);
    }
    await sleep(LOAD_MS / 2);
    stopped = true;
    await cutLoad;
    console.log(`  2. ${cut} database connections cut: ${cuts.summary()}; a request succeeded again after ${fmt(recoveredMs)} ms`);

    // 3. pool exhaustion: a pool of 2, both held by requests waiting on a lock.
    await killHard(service.child);
    service = await startService(scratch.url, port, { DATABASE_POOL_SIZE: '2', DATABASE_ACQUIRE_TIMEOUT_MS: '1000' });
    const locker = db.createQueryRunner();
    await locker.connect();
    await locker.startTransaction();
    await locker.query('LOCK TABLE exchange IN ACCESS EXCLUSIVE MODE');
    const held = [0, 1].map(() => gql(service!.url, clientTokens[0], '{ exchanges { totalCount } }'));
    await sleep(300);
    const refused = new Tally();
    const others = await Promise.all(clientTokens.map((t) => gql(service!.url, t, '{ me { subject } }')));
    others.forEach((a) => refused.count(a));
    const ready = await fetch(`${service.url}/health/ready`).then((r) => r.status);
    await locker.commitTransaction();
    await locker.release();
    const heldAnswers = await Promise.all(held);
    const after = await gql(service.url, clientTokens[0], '{ me { subject } }');
    const codes = new Set(others.map((a) => a.code));
    console.log(
      `  3. pool of 2 held: ${refused.summary()}; slowest refusal ${fmt(Math.max(...others.map((a) => a.ms)))} ms (acquire timeout 1000 ms); ` +
        `readiness ${ready}; held requests ${heldAnswers.map((a) => a.status).join(', ')}; next request ${after.status}` +
        (codes.size === 1 && codes.has('SERVICE_UNAVAILABLE') ? '' : ' (UNEXPECTED CODES)'),
    );
    await killHard(service.child);
    service = undefined;

    if (!(await checkIntegrity(db, scratch.url, 'afterwards'))) process.exitCode = 1;
  } finally {
    if (service) await killHard(service.child);
    await db.destroy();
    await scratch.drop();
  }
  if (!(await postgresRestart(tokens))) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
