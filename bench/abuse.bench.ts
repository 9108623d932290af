/**
 * npm run bench:abuse — one department's client sends the abusive requests the
 * fuzzing found (a seven-deep nested departments query, 1,000 aliases, a
 * fragment bomb, 5,000-deep query text, a 100,000-deep JSON record, a hundred
 * chain verifications, too-costly pages) and the heaviest queries the cost
 * limit admits (four facet sets, four counted pages) as fast as it can, while another
 * department's client asks for `me` and a page of `files` one at a time.
 * Prints the neighbour's p50/p99 idle and under abuse, what the abuser got
 * back, and the service's resident memory (its own process, the compiled
 * build: the script runs `npm run build` first).
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadAuthConfig, Tokens } from '@app/auth';
import { createDataSource } from '@app/database';
import { PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { fmt, percentile, scratchDatabase } from './bench-database.js';
import { startServer } from './bench-server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Rounds, each with a fresh abusing department (a fresh rate budget): its connection count. */
const ROUNDS = (process.env.BENCH_CONNECTIONS ?? '1,8').split(',').map(Number);
/** BENCH_ADMITTED=false leaves out the heavy queries the limits admit: only what the service refuses. */
const ADMITTED = process.env.BENCH_ADMITTED !== 'false';
const PORT = 3900 + Math.floor(Math.random() * 90);
const URL = `http://127.0.0.1:${PORT}/graphql`;

const NEIGHBOUR_PAUSE_MS = 25;

const VICTIM_QUERIES = {
  me: `{ me { subject department { code } } }`,
  files: `{ files(first: 20, filter: { categories: ["medical records"] }) { totalCount edges { node { id title owner { name } district { code } fields { name type } myAccess } } } }`,
};

function abusiveBodies(fileId: string): string[] {
  const nested = `{ departments { district { departments { district { departments { district { departments { code } } } } } } } }`;
  const aliases = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: files(first: 1) { totalCount }`).join(' ')} }`;
  const bomb = `query { me { ...F0 } } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Viewer { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F30 on Viewer { subject }`;
  const deepText = `{ ${'files { edges { node { '.repeat(1_700)}id${' } } }'.repeat(1_700)} }`;
  const verifications = `{ ${Array.from({ length: 100 }, (_, i) => `v${i}: verifyAuditChain(ledger: "platform") { ok }`).join(' ')} }`;
  const costly = `{ ${['a', 'b', 'c'].map((a) => `${a}: files(first: 200) { totalCount edges { node { fields { name } owner { district { departments { code } } } } } }`).join(' ')} }`;
  const deepJson = `{"query":"mutation ($r: [JSON!]!) { publishRecords(fileId: \\"${fileId}\\", records: $r) { id } }","variables":{"r":[${'['.repeat(100_000)}1${']'.repeat(100_000)}]}}`;
  // Admitted one by one (each just under the cost limit): only the department's cost budget and its share of the pool stop them.
  const facets = `{ ${['a', 'b', 'c', 'd'].map((a) => `${a}: fileFacets { districts { value count } owners { value count } categories { value count } tags { value count } }`).join(' ')} }`;
  const counted = `{ ${['a', 'b', 'c', 'd'].map((a, i) => `${a}: files(first: 50, filter: { search: "${['record', 'data', 'report', 'plan'][i]}" }) { totalCount edges { node { id title fields { name } } } }`).join(' ')} }`;
  const queries = [nested, aliases, bomb, deepText, verifications, costly, ...(ADMITTED ? [facets, counted] : [])];
  return [...queries.map((query) => JSON.stringify({ query })), deepJson];
}

interface AttackResult {
  requests: { total: number; average: number };
  statusCodeStats: Record<string, { count: number }>;
}

/**
 * The abuser's load generator in its own process at the lowest CPU priority
 * (nice 19): it stands for a client on another machine, so that what slows
 * the neighbour is the service's work for the abuse, not the generator's.
 */
function abusiveClient(job: {
  url: string;
  connections: number;
  duration: number;
  token: string;
  bodies: string[];
}): Promise<AttackResult> {
  const child = spawn('nice', ['-n', '19', process.execPath, fileURLToPath(new globalThis.URL('./abuse-client.mjs', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(job));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as AttackResult) : reject(new Error(`the abusive client exited with ${code}`)),
    ),
  );
}

/** The neighbour: one request at a time, 25 ms apart, alternating `me` and a page of files, for `seconds`. */
async function neighbour(token: string, seconds: number): Promise<Record<keyof typeof VICTIM_QUERIES, number[]>> {
  const latencies = { me: [] as number[], files: [] as number[] };
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    for (const name of ['me', 'files'] as const) {
      const started = process.hrtime.bigint();
      const response = await fetch(URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: VICTIM_QUERIES[name] }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (!response.ok || body.errors) throw new Error(`the neighbour was refused: ${response.status} ${JSON.stringify(body.errors)}`);
      latencies[name].push(Number(process.hrtime.bigint() - started) / 1e6);
      // A person's or a polite system's pace, well inside its department's rate budget.
      await new Promise((resolve) => setTimeout(resolve, NEIGHBOUR_PAUSE_MS));
    }
  }
  for (const list of Object.values(latencies)) list.sort((a, b) => a - b);
  return latencies;
}

function residentMiB(pid: number): { now: number; peak: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // The service has exited; its exit handler says how.
  }
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { now: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function main() {
  const scratch = await scratchDatabase('bench_abuse');
  const db = await createDataSource({ url: scratch.url, poolSize: 4, applicationName: 'bench' }).initialize();
  let server: ChildProcess | undefined;
  try {
    process.stdout.write('Seeding the pilot (44,000 files, 8,000 permissions)... ');
    await seedPilot(db, PILOT_DEFAULTS);
    await db.query('ANALYZE');
    console.log('done');
    const [{ id: fileId }] = await db.query<{ id: string }[]>(`SELECT id FROM data_file LIMIT 1`);

    const secret = randomBytes(32).toString('hex');
    const auditKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    server = await startServer(
      {
        DATABASE_URL: scratch.url,
        PORT: String(PORT),
        JWT_SECRET: secret,
        AUDIT_SIGNING_KEY: auditKey,
        MIGRATE_ON_START: 'false',
        SEED_PILOT: 'false',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      },
      { built: true },
    );
    server.once('exit', (code, signal) => {
      console.error(`the service exited (code ${code}, signal ${signal}) during the benchmark`);
      process.exit(1);
    });
    const tokens = new Tokens(loadAuthConfig({ JWT_SECRET: secret }));
    // A fresh pair of departments each round: each starts with a full rate budget (the neighbour's too).
    const departments = await db.query<{ code: string }[]>(
      `SELECT code FROM department WHERE district_id = (SELECT id FROM district WHERE code = 'beijing') ORDER BY code LIMIT $1`,
      [ROUNDS.length * 2],
    );
    const bodies = abusiveBodies(fileId);

    for (const [round, connections] of ROUNDS.entries()) {
      const victim = await tokens.mint({ subject: 'neighbour', departmentCode: departments[2 * round].code, roles: ['MEMBER'] });
      const abuser = await tokens.mint({
        subject: 'abuser',
        departmentCode: departments[2 * round + 1].code,
        roles: ['MEMBER', 'AUDITOR'],
      });
      await neighbour(victim, 2);
      const idle = await neighbour(victim, SECONDS);
      const before = residentMiB(server.pid!);
      // In a process of its own at the lowest priority, so that the abuser's load generator does not delay the neighbour's client.
      const attack = abusiveClient({ url: URL, connections, duration: SECONDS + 2, token: abuser, bodies });
      let peak = before.now;
      const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(server!.pid!).now)), 100);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const abused = await neighbour(victim, SECONDS);
      const result = await attack;
      clearInterval(sampler);

      console.log(
        `\nA neighbour's requests, one at a time, idle and while ${connections} connection(s) of another department send abusive requests (${SECONDS} s each)`,
      );
      console.log(`  ${'query'.padEnd(8)} ${'idle p50 / p99 ms'.padStart(20)} ${'under abuse p50 / p99 ms'.padStart(26)}   p99 ratio`);
      for (const name of ['me', 'files'] as const) {
        const [a, b] = [idle[name], abused[name]];
        console.log(
          `  ${name.padEnd(8)} ${`${fmt(percentile(a, 50), 1)} / ${fmt(percentile(a, 99), 1)}`.padStart(20)} ${`${fmt(percentile(b, 50), 1)} / ${fmt(percentile(b, 99), 1)}`.padStart(26)}   ${(percentile(b, 99) / percentile(a, 99)).toFixed(2)}x`,
        );
      }
      const statuses = result.statusCodeStats;
      const answered = Object.entries(statuses)
        .map(([status, { count }]) => `${fmt(Number(count))} × ${status}`)
        .join(', ');
      console.log(
        `  The abuser sent ${fmt(result.requests.total)} requests (${fmt(result.requests.average)}/s): ${answered}; ${fmt(Number(statuses['500']?.count ?? 0))} were 500s`,
      );
      console.log(
        `  Service RSS: ${fmt(before.now)} MiB before, peak ${fmt(peak)} MiB during the abuse (high-water mark ${fmt(residentMiB(server.pid!).peak)} MiB)`,
      );
    }
  } finally {
    server?.removeAllListeners('exit');
    server?.kill('SIGTERM');
    await db.destroy();
    await scratch.drop();
  }
}

await main();
