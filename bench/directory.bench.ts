/**
 * npm run bench:directory — seeds the pilot into a scratch database, serves it,
 * and measures GraphQL `files` pages over HTTP (autocannon) next to the same
 * answers computed by hand-written SQL through `pg` (the floor):
 *   (a) first page with a category filter, (b) a full-text search page,
 *   (c) the next page by cursor — for a member of a municipal department; and
 *   (d) a filtered page for a department holding 200 grants;
 * then the cost of building one request's access policy. Before timing, it
 * checks that each floor returns the same ids and total as GraphQL, and
 * prints each query's latency unloaded (one request at a time).
 *
 * PostGraphile 4 serves the same database in a process of its own (no
 * authorization) and is loaded with page (a) in the same run, beside the
 * service as a member and as a platform administrator, in two rounds in
 * mirrored order (so that the machine speeding up or slowing down during the
 * phase favours none of the three): req/s, p99, ratio, and each round's ratio.
 * The service keeps a page's total, and a search's first matches, while the
 * files are unchanged, so the member's page (a) and search (b) are then loaded
 * again while another connection writes files (BENCH_WRITES a second, 10 and
 * 100 unless set), each write making the service count or search again.
 *
 * Every loaded run (autocannon, the floor, PostGraphile's) follows a warm-up
 * of the same load for BENCH_WARMUP seconds (2 unless set), not counted: a
 * server just started on a database just switched to (its pool's connections
 * preparing their statements, the pages its first requests read, the totals
 * it counts once) otherwise puts its first seconds in the first run's p99.
 * On the city that took longer: the phase's first loaded run follows
 * BENCH_PHASE_WARMUP seconds (10) of page (a) as well.
 *
 * `--city` then loads the whole city on top of the pilot (17 districts,
 * about 750,000 files: `seed --city`), measures everything again and prints
 * pilot and city side by side with the p99 growth of each query.
 *
 * BENCH_PILOT_DATABASE_URL and BENCH_CITY_DATABASE_URL name databases seeded
 * once beforehand (`npm run cli -- seed`, and `seed --city` for the city) to
 * measure instead of scratch ones: they are migrated, measured and kept.
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { AccessPolicy } from '@app/access';
import { grantsHeldAt, grantsHeldChanged } from '../libs/access/src/grants-held.repository.js';
import { loadAuthConfig, Tokens, type DepartmentRef } from '@app/auth';
import { ANY_DISTRICT } from '@app/common';
import { createDataSource, migrateDatabase } from '@app/database';
import { migrations } from '../migrations/index.js';
import { PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { seedCity } from '../apps/directory-cli/src/city/city-seed.js';
import { fmt, machineSpeed, percentile, scratchDatabase } from './bench-database.js';
import { postgresCpuMillis, processCpuMillis, residentMemory, startServer } from './bench-server.js';
import { PEER_PAGE, startPeer } from './postgraphile-peer.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
/**
 * Seconds of page (a), not counted, once per phase before its first loaded
 * run (BENCH_PHASE_WARMUP, 10 unless set): a server just started on the city
 * put its first seconds in the first run's p99 even after the 2-s warm-up
 * (190 ms against 43.5 ms for the same page later in the run; 42 ms with a
 * 10-s warm-up).
 */
const PHASE_WARMUP = Number(process.env.BENCH_PHASE_WARMUP ?? 10);
/** File writes a second while the member's page is loaded again (BENCH_WRITES, comma-separated). */
const WRITES_PER_SECOND = (process.env.BENCH_WRITES ?? '10,100').split(',').map(Number);
const BASE_PORT = 3900 + Math.floor(Math.random() * 40);
const CITY = process.argv.includes('--city');
let PORT = BASE_PORT;
const UNLOADED_REQUESTS = 20;

interface Result {
  p50: number;
  p99: number;
  rps: number;
}

/** Two runs of the same work as one: their mean rate and mean percentiles. */
const meanOf = (a: Result, b: Result): Result => ({ p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, rps: (a.rps + b.rps) / 2 });

async function graphql(token: string, variables: Record<string, unknown>): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${PORT}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: PAGE, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (!response.ok || body.errors) throw new Error(`GraphQL answered ${response.status}: ${JSON.stringify(body.errors)}`);
  return body;
}

/** `duration` seconds of the same GraphQL request by CONNECTIONS connections at once (autocannon). */
function loadHttp(token: string, query: string, variables: Record<string, unknown>, port: number, duration: number) {
  return autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
}

async function http(
  token: string,
  query: string,
  variables: Record<string, unknown>,
  port = PORT,
  measuring: () => unknown = () => {},
): Promise<Result> {
  const load = (duration: number) => loadHttp(token, query, variables, port, duration);
  if (WARMUP > 0) await load(WARMUP);
  await measuring();
  const result = await load(DURATION);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

/** The floor: the same work as hand-written SQL, same concurrency and duration (after the same warm-up). */
async function floor(pool: pg.Pool, run: (client: pg.PoolClient) => Promise<unknown>): Promise<Result> {
  if (WARMUP > 0) await loadWithSql(pool, run, WARMUP);
  const latencies = await loadWithSql(pool, run, DURATION);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: latencies.length / DURATION };
}

/** CONNECTIONS clients running `run` back to back for `seconds`: each run's latency. */
async function loadWithSql(pool: pg.Pool, run: (client: pg.PoolClient) => Promise<unknown>, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const client = await pool.connect();
      try {
        while (Date.now() < until) {
          const started = process.hrtime.bigint();
          await run(client);
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
      } finally {
        client.release();
      }
    }),
  );
  return latencies;
}

/** What a department's member may discover, by hand: the default rules and its grants. */
const VISIBLE = `(f.owner_department_id = $1 OR f.classification = 'PUBLIC' OR (f.classification = 'INTERNAL' AND f.district_id = $2)
  OR f.id IN (SELECT p.file_id FROM permission p WHERE p.grantee_department_id = $1 AND p.file_id IS NOT NULL
              AND p.revoked_at IS NULL AND p.valid_from <= now() AND (p.expires_at IS NULL OR p.expires_at > now()))
  OR (f.district_id, f.category, classification_rank(f.classification)) IN (
       SELECT p.district_id, p.scope_category, r FROM permission p CROSS JOIN LATERAL generate_series(1, classification_rank(p.scope_max_classification)) r
        WHERE p.grantee_department_id = $1 AND p.file_id IS NULL
          AND p.revoked_at IS NULL AND p.valid_from <= now() AND (p.expires_at IS NULL OR p.expires_at > now())))`;

/** The page's ids and the total, so that the floor can be held to the same answer as GraphQL before timing. */
interface Answer {
  totalCount: number;
  ids: string[];
}

/** `after` is the keyset condition of a next page: it limits the page, never the total. */
async function handWrittenPage(
  client: pg.PoolClient,
  dept: DepartmentRef,
  where: string,
  params: unknown[],
  order: string,
  after: { sql: string; params: unknown[] } = { sql: '', params: [] },
): Promise<Answer> {
  const args = [dept.id, dept.districtId, ...params];
  const count = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM data_file f WHERE ${VISIBLE} AND ${where}`, args);
  const page = await client.query(
    `SELECT f.id, f.district_id, f.title, f.classification, o.name AS owner, d.code AS district FROM data_file f
       JOIN department o ON o.id = f.owner_department_id JOIN district d ON d.id = f.district_id
      WHERE ${VISIBLE} AND ${where} ${after.sql} ORDER BY ${order} LIMIT 20`,
    [...args, ...after.params],
  );
  await client.query(
    `SELECT file_id, name, type FROM data_field WHERE (district_id, file_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[])) ORDER BY file_id, position`,
    [page.rows.map((r) => r.district_id), page.rows.map((r) => r.id)],
  );
  return { totalCount: count.rows[0].n, ids: page.rows.map((r) => r.id as string) };
}

const PAGE = `query ($filter: FileFilter, $after: String) { files(first: 20, filter: $filter, after: $after) {
  totalCount pageInfo { endCursor } edges { node { id title classification owner { name } district { code } fields { name type } myAccess } } } }`;

interface Row {
  label: string;
  g: Result;
  f: Result;
}

/** One data set's figures: the four queries against the floor, and page (a) against PostGraphile. */
interface Phase {
  name: string;
  files: number;
  rows: Row[];
  member: Result;
  admin: Result;
  peer: Result;
  /** The API process's resident memory (MB) after the phase: its peak since start, and now. */
  memory?: { peak: number; now: number };
}

/**
 * The service's audit signing key, the same in every run, as a deployment keeps
 * its key: the checkpoints one run signs on a kept database are trusted by the
 * next, which then has no ledger to catch up on while it is measured (with a new
 * key each run, the service re-hashed the city's 893,000 audit entries during the
 * first loaded queries). A benchmark key, not a secret: an Ed25519 seed of sevens.
 */
const AUDIT_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]),
  format: 'der',
  type: 'pkcs8',
})
  .export({ format: 'pem', type: 'pkcs8' })
  .toString();

/** The API's memory goal under the city benchmark. */
const RSS_GOAL_MB = 250;
/** BENCH_BUILT=1: startServer serves the compiled service (`npm run build` first), as production runs it. */
const BUILT = process.env.BENCH_BUILT === '1';
const printedMemory = new Set<string>();

/** The holder department gets exactly 200 active grants on guarded files, whatever the seed gave it. */
async function topUpHolder(db: DataSource, holder: DepartmentRef) {
  await db.query(`DELETE FROM permission WHERE grantee_department_id = $1`, [holder.id]);
  await db.query(
    `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by)
     SELECT district_id, id, $1, 'READ', 'benchmark', 'bench' FROM data_file WHERE classification <> 'PUBLIC' ORDER BY id LIMIT 200`,
    [holder.id],
  );
  // A database in its steady state: a fresh bulk load has no visibility map yet, and counts would read the heap.
  await db.query('VACUUM (ANALYZE)');
}

/** Serves the data set as it stands (the service and PostGraphile, fresh processes) and measures it. */
async function measure(name: string, url: string, db: DataSource, pool: pg.Pool, port: number): Promise<Phase> {
  PORT = port;
  const departmentOf = async (code: string): Promise<DepartmentRef> =>
    (
      await db.query(
        `SELECT d.id, d.code, d.name, d.district_id AS "districtId", di.code AS "districtCode" FROM department d JOIN district di ON di.id = d.district_id WHERE d.code = $1`,
        [code],
      )
    )[0];
  const member = await departmentOf('beijing-civil-affairs-bureau');
  const holder = await departmentOf('haidian-health-commission');
  await topUpHolder(db, holder);
  const [{ files }] = await db.query(`SELECT count(*)::int AS files FROM data_file`);

  const secret = randomBytes(32).toString('hex');
  let server: ChildProcess | undefined;
  let peer: ChildProcess | undefined;
  try {
    server = await startServer({
      DATABASE_URL: url,
      PORT: String(port),
      JWT_SECRET: secret,
      AUDIT_SIGNING_KEY: AUDIT_KEY,
      MIGRATE_ON_START: 'false',
      SEED_PILOT: 'false',
      DATABASE_POOL_SIZE: '10',
      // The load generator is one department sending thousands of requests a minute: not what the limit is for.
      RATE_LIMIT_PER_MINUTE: '1000000',
      // Nor the fair share: one department here stands for the whole city's traffic, so it may use the
      // whole pool at once, as PostGraphile does with its pool of the same size (the read path is measured,
      // not a department's share of it). BENCH_FAIR_SHARE=true keeps the service's defaults.
      ...(process.env.BENCH_FAIR_SHARE === 'true'
        ? {}
        : { CONCURRENCY_PER_DEPARTMENT: String(CONNECTIONS), CONNECTIONS_PER_DEPARTMENT: '10', COST_PER_MINUTE: '1000000000000' }),
    });
    peer = await startPeer(url, port + 50, 10);
    const tokens = new Tokens(loadAuthConfig({ JWT_SECRET: secret }));
    const memberToken = await tokens.mint({ subject: 'bench', departmentCode: member.code, roles: ['MEMBER'] });
    const holderToken = await tokens.mint({ subject: 'bench', departmentCode: holder.code, roles: ['MEMBER'] });
    const adminToken = await tokens.mint({ subject: 'bench', departmentCode: member.code, roles: ['PLATFORM_ADMIN'] });

    console.log(`\n== ${name}: ${fmt(files)} files ==`);
    console.log(
      process.env.BENCH_FAIR_SHARE === 'true'
        ? 'The service keeps its fair share: one department runs 4 requests at once on 3 pooled connections.'
        : `One department may use the whole pool: ${CONNECTIONS} requests at once on 10 pooled connections (BENCH_FAIR_SHARE=true to keep the share).`,
    );
    const firstPage = await graphql(memberToken, { filter: { categories: ['medical records'] } });
    const cursor: string = firstPage.data.files.pageInfo.endCursor;
    const [cursorTime, cursorId] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];

    const cases: [string, string, Record<string, unknown>, (c: pg.PoolClient) => Promise<Answer>][] = [
      [
        '(a) first page, category filter',
        memberToken,
        { filter: { categories: ['medical records'] } },
        (c) => handWrittenPage(c, member, `f.category = $3`, ['medical records'], 'f.updated_at DESC, f.id DESC'),
      ],
      [
        '(b) full-text search page',
        memberToken,
        { filter: { search: 'vaccination registry' } },
        (c) =>
          handWrittenPage(
            c,
            member,
            `f.search_vector @@ websearch_to_tsquery('english', $3)`,
            ['vaccination registry'],
            `ts_rank(f.search_vector, websearch_to_tsquery('english', $3)) DESC, f.id DESC`,
          ),
      ],
      [
        '(c) next page by cursor',
        memberToken,
        { filter: { categories: ['medical records'] }, after: cursor },
        (c) => handWrittenPageWithCursor(c, member, cursorTime, cursorId),
      ],
      [
        '(d) 200 grants, filtered page',
        holderToken,
        { filter: { classifications: ['RESTRICTED', 'CONFIDENTIAL', 'INTERNAL'] } },
        (c) =>
          handWrittenPage(
            c,
            holder,
            `f.classification = ANY($3)`,
            [['RESTRICTED', 'CONFIDENTIAL', 'INTERNAL']],
            'f.updated_at DESC, f.id DESC',
          ),
      ],
    ];

    // Before any timing: the floor must give the same answer as the service, or the comparison means nothing.
    const check = await pool.connect();
    try {
      for (const [label, token, variables, sql] of cases) {
        const served = await graphql(token, variables);
        const answer: Answer = {
          totalCount: served.data.files.totalCount,
          ids: served.data.files.edges.map((e: { node: { id: string } }) => e.node.id),
        };
        const floorAnswer = await sql(check);
        if (answer.ids.length === 0 || JSON.stringify(answer) !== JSON.stringify(floorAnswer)) {
          throw new Error(`${label}: the SQL floor answers ${JSON.stringify(floorAnswer)}, GraphQL ${JSON.stringify(answer)}`);
        }
      }
    } finally {
      check.release();
    }
    console.log('The SQL floor returns the same ids, in the same order, and the same totalCount as GraphQL for every query.');
    // PostGraphile has no authorization: its page is the platform administrator's, who reads every entry.
    const peerVariables = { category: 'medical records' };
    const peerAnswer = await peerPage(port + 50, peerVariables);
    const adminServed = await graphql(adminToken, { filter: { categories: ['medical records'] } });
    const adminAnswer = {
      totalCount: adminServed.data.files.totalCount,
      ids: adminServed.data.files.edges.map((e: { node: { id: string } }) => e.node.id),
    };
    if (JSON.stringify(peerAnswer) !== JSON.stringify(adminAnswer)) {
      throw new Error(
        `PostGraphile answers ${JSON.stringify(peerAnswer)}, the service (platform administrator) ${JSON.stringify(adminAnswer)}`,
      );
    }
    console.log('PostGraphile returns the same page and totalCount as the service for a platform administrator.');

    // Unloaded: one request at a time, after a few to warm up.
    const unloaded: string[] = [];
    for (const [label, token, variables] of cases) {
      const latencies: number[] = [];
      for (let i = 0; i < 3 + UNLOADED_REQUESTS; i++) {
        const started = process.hrtime.bigint();
        await graphql(token, variables);
        if (i >= 3) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      latencies.sort((a, b) => a - b);
      unloaded.push(`${label.slice(0, 3)} ${fmt(percentile(latencies, 50), 1)} ms`);
    }
    console.log(`Unloaded (one request at a time, ${UNLOADED_REQUESTS} each), GraphQL p50: ${unloaded.join(', ')}`);

    console.log(
      `\nfiles pages of 20 over HTTP (autocannon, ${CONNECTIONS} connections, ${DURATION} s each after a ${WARMUP}-s warm-up) vs hand-written SQL through pg (same concurrency)`,
    );
    console.log(
      `  ${'query'.padEnd(34)} ${'GraphQL p50/p99 ms'.padStart(19)} ${'req/s'.padStart(7)} | ${'SQL p50/p99 ms'.padStart(15)} ${'q/s'.padStart(7)} | p99 ratio`,
    );
    if (PHASE_WARMUP > 0) await loadHttp(cases[0][1], PAGE, cases[0][2], PORT, PHASE_WARMUP);
    const rows: Row[] = [];
    for (const [label, token, variables, sql] of cases) {
      const g = await http(token, PAGE, variables);
      const f = await floor(pool, sql);
      rows.push({ label, g, f });
      console.log(
        `  ${label.padEnd(34)} ${`${fmt(g.p50, 1)} / ${fmt(g.p99, 1)}`.padStart(19)} ${fmt(g.rps).padStart(7)} | ${`${fmt(f.p50, 1)} / ${fmt(f.p99, 1)}`.padStart(15)} ${fmt(f.rps).padStart(7)} | ${(g.p99 / f.p99).toFixed(2)}x`,
      );
    }

    console.log(
      `\npage (a) against PostGraphile 4 (own process, same database, no authorization; autocannon, ${CONNECTIONS} connections, ${DURATION} s each after a ${WARMUP}-s warm-up,` +
        ` in two rounds run in mirrored order, member -> admin -> PostGraphile -> PostGraphile -> admin -> member, so that a drift of the machine's speed during the phase favours none of them)`,
    );
    // Each run also counts the CPU its server process and PostgreSQL spent per page: steadier than req/s when the
    // machine's speed drifts, and it says which side of the wire the difference is on.
    const cpu = {
      service: { server: 0, postgres: 0, pages: 0 },
      admin: { server: 0, postgres: 0, pages: 0 },
      peer: { server: 0, postgres: 0, pages: 0 },
    };
    const measured = async (who: keyof typeof cpu, pid: number | undefined, run: (measuring: () => Promise<void>) => Promise<Result>) => {
      let [server0, postgres0]: (number | undefined)[] = [];
      // From the end of the warm-up.
      const result = await run(async () => {
        [server0, postgres0] = [await processCpuMillis(pid), await postgresCpuMillis()];
      });
      const [server1, postgres1] = [await processCpuMillis(pid), await postgresCpuMillis()];
      cpu[who].server += (server1 ?? NaN) - (server0 ?? NaN);
      cpu[who].postgres += (postgres1 ?? NaN) - (postgres0 ?? NaN);
      cpu[who].pages += result.rps * DURATION;
      return result;
    };
    const contenders = [
      () => measured('service', server!.pid, (m) => http(memberToken, PAGE, { filter: { categories: ['medical records'] } }, PORT, m)),
      () => measured('admin', server!.pid, (m) => http(adminToken, PAGE, { filter: { categories: ['medical records'] } }, PORT, m)),
      () => measured('peer', peer!.pid, (m) => http('', PEER_PAGE, peerVariables, port + 50, m)),
    ];
    const rounds: Result[][] = [[], []];
    for (const run of contenders) rounds[0].push(await run());
    for (const run of [...contenders].reverse()) rounds[1].unshift(await run());
    const [memberRun, adminRun, peerRun] = contenders.map((_, i) => meanOf(rounds[0][i], rounds[1][i]));
    for (const [label, r, who] of [
      ['service, member', memberRun, 'service'],
      ['service, platform admin', adminRun, 'admin'],
      ['PostGraphile 4', peerRun, 'peer'],
    ] as const) {
      const { server: serverMs, postgres: postgresMs, pages } = cpu[who];
      const perPage = Number.isFinite(serverMs + postgresMs)
        ? `   CPU a page: ${fmt(serverMs / pages, 2)} ms in its process + ${fmt(postgresMs / pages, 2)} ms in PostgreSQL`
        : '';
      console.log(
        `  ${label.padEnd(26)} ${fmt(r.rps).padStart(6)} req/s   p50 ${fmt(r.p50, 1).padStart(6)} ms   p99 ${fmt(r.p99, 1).padStart(6)} ms${perPage}`,
      );
    }
    const ratios = (i: number) => rounds.map((round) => `${(round[i].rps / round[2].rps).toFixed(2)}x`).join(', ');
    console.log(
      `  service/PostGraphile req/s: member ${(memberRun.rps / peerRun.rps).toFixed(2)}x (rounds ${ratios(0)}), platform admin ${(adminRun.rps / peerRun.rps).toFixed(2)}x (rounds ${ratios(1)})`,
    );

    // The service keeps a page's total, and a search's first matches, while the files are unchanged
    // (FileListingVersion); PostGraphile counts on every request. The member's page (a) and search (b) while a writer
    // touches files (a no-op update still replaces the district's version, so the total is counted again and the search
    // runs again): how much of the lead a stream of writes leaves.
    const sample = (
      await db.query<{ district_id: string; id: string }[]>(`SELECT district_id, id FROM data_file TABLESAMPLE SYSTEM (1) LIMIT 1000`)
    ).map((r) => [r.district_id, r.id]);
    console.log(
      `  the member's page (a) and search (b) while files are written (a no-op UPDATE of a random file, from another connection):`,
    );
    const underWrites: [string, Record<string, unknown>, Result, string][] = [
      ['(a)', cases[0][2], memberRun, "PostGraphile's above"],
      ['(b)', cases[1][2], rows[1].g, 'the search with no writes'],
    ];
    for (const [label, variables, without, compared] of underWrites) {
      for (const perSecond of WRITES_PER_SECOND) {
        let writes = 0;
        let writesBefore = 0;
        let writing = true;
        const writer = (async () => {
          const started = Date.now();
          while (writing) {
            await pool.query(
              `UPDATE data_file SET updated_at = updated_at WHERE district_id = $1 AND id = $2`,
              sample[writes % sample.length],
            );
            writes++;
            const due = started + (writes * 1000) / perSecond;
            if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
          }
        })();
        // The writes of the warm-up are not counted in the rate printed.
        const r = await http(memberToken, PAGE, variables, PORT, () => (writesBefore = writes));
        writing = false;
        await writer;
        console.log(
          `  ${`${label} ${fmt((writes - writesBefore) / DURATION)} file writes/s`.padEnd(26)} ${fmt(r.rps).padStart(6)} req/s   p50 ${fmt(r.p50, 1).padStart(6)} ms   p99 ${fmt(r.p99, 1).padStart(6)} ms   ${(r.rps / without.rps).toFixed(2)}x ${compared}`,
        );
      }
    }

    const grants = await grantsHeldAt(db.manager, ANY_DISTRICT, holder.id, new Date());
    const iterations = 20_000;
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) new AccessPolicy({ subject: 'bench', roles: ['MEMBER'], department: holder }, grants, new Date());
    const micros = Number(process.hrtime.bigint() - t) / 1e3 / iterations;
    const q = process.hrtime.bigint();
    for (let i = 0; i < 50; i++) await grantsHeldAt(db.manager, ANY_DISTRICT, holder.id, new Date());
    const loadMs = Number(process.hrtime.bigint() - q) / 1e6 / 50;
    const { tag, changed } = await grantsHeldChanged(db.manager, holder.id, new Date(), null);
    const known = { tag, versions: changed!.versions };
    const k = process.hrtime.bigint();
    for (let i = 0; i < 50; i++) await grantsHeldChanged(db.manager, holder.id, new Date(), known);
    const keptMs = Number(process.hrtime.bigint() - k) / 1e6 / 50;
    console.log(
      `\nBuilding one request's policy with ${grants.length} grants: ${fmt(micros, 1)} µs in memory, after ${fmt(loadMs, 2)} ms to load the grants;` +
        ` while they are unchanged the service keeps the rules it built, and a request's policy is the statement that returns their tag: ${fmt(keptMs, 2)} ms`,
    );
    const memory = await residentMemory(server.pid);
    console.log(
      memory
        ? `API process memory (${BUILT ? 'compiled' : 'run through @swc-node/register, which adds the compiler; BENCH_BUILT=1 for the compiled service'}): peak RSS ${fmt(memory.peak)} MB, now ${fmt(memory.now)} MB (goal ≤ ${RSS_GOAL_MB} MB)`
        : 'API process memory: not readable on this system (/proc)',
    );
    printedMemory.add(name);
    return { name, files, rows, member: memberRun, admin: adminRun, peer: peerRun, memory };
  } finally {
    // A phase that failed still tells how much memory the service had taken by then.
    const reached = server?.exitCode === null ? await residentMemory(server.pid) : undefined;
    if (reached && !printedMemory.has(name))
      console.log(`API process memory when the ${name} phase stopped: peak RSS ${fmt(reached.peak)} MB (goal ≤ ${RSS_GOAL_MB} MB)`);
    await stop(server);
    await stop(peer);
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function peerPage(port: number, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: PEER_PAGE, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (!response.ok || body.errors) throw new Error(`PostGraphile answered ${response.status}: ${JSON.stringify(body.errors)}`);
  return { totalCount: body.data.allDataFiles.totalCount, ids: body.data.allDataFiles.nodes.map((n: { id: string }) => n.id) };
}

function sideBySide(pilot: Phase, city: Phase) {
  console.log(`\n== pilot (${fmt(pilot.files)} files) and city (${fmt(city.files)} files) side by side ==`);
  console.log(
    `  ${'query'.padEnd(34)} ${'pilot p99 ms'.padStart(13)} ${'city p99 ms'.padStart(12)} ${'growth'.padStart(7)} | ${'pilot req/s'.padStart(11)} ${'city req/s'.padStart(11)} | ${'city SQL p99'.padStart(12)} ${'vs floor'.padStart(8)}`,
  );
  pilot.rows.forEach((p, i) => {
    const c = city.rows[i];
    console.log(
      `  ${p.label.padEnd(34)} ${fmt(p.g.p99, 1).padStart(13)} ${fmt(c.g.p99, 1).padStart(12)} ${`${(c.g.p99 / p.g.p99).toFixed(2)}x`.padStart(7)} | ${fmt(p.g.rps).padStart(11)} ${fmt(c.g.rps).padStart(11)} | ${fmt(c.f.p99, 1).padStart(12)} ${`${(c.g.p99 / c.f.p99).toFixed(2)}x`.padStart(8)}`,
    );
  });
  for (const [label, key] of [
    ['service, member', 'member'],
    ['service, platform admin', 'admin'],
    ['PostGraphile 4', 'peer'],
  ] as const) {
    const p = pilot[key];
    const c = city[key];
    console.log(
      `  ${`(a) ${label}`.padEnd(34)} ${fmt(p.p99, 1).padStart(13)} ${fmt(c.p99, 1).padStart(12)} ${`${(c.p99 / p.p99).toFixed(2)}x`.padStart(7)} | ${fmt(p.rps).padStart(11)} ${fmt(c.rps).padStart(11)} |`,
    );
  }
  if (pilot.memory && city.memory)
    console.log(
      `  API peak RSS: pilot ${fmt(pilot.memory.peak)} MB, city ${fmt(city.memory.peak)} MB (goal ≤ ${RSS_GOAL_MB} MB${city.memory.peak <= RSS_GOAL_MB ? ', met' : ', NOT met'})`,
    );
  console.log(
    `  service/PostGraphile req/s: pilot member ${(pilot.member.rps / pilot.peer.rps).toFixed(2)}x, admin ${(pilot.admin.rps / pilot.peer.rps).toFixed(2)}x; ` +
      `city member ${(city.member.rps / city.peer.rps).toFixed(2)}x, admin ${(city.admin.rps / city.peer.rps).toFixed(2)}x`,
  );
}

/**
 * A database to measure: a scratch one (seeded here, dropped afterwards), or one
 * named by BENCH_PILOT_DATABASE_URL / BENCH_CITY_DATABASE_URL, seeded once
 * beforehand (`npm run cli -- seed`, then `seed --city` for the city) and kept:
 * the city takes minutes to load. A kept database is migrated, not seeded.
 */
interface BenchDatabase {
  url: string;
  db: DataSource;
  pool: pg.Pool;
  close(): Promise<void>;
}

async function openDatabase(url: string, drop?: () => Promise<void>): Promise<BenchDatabase> {
  if (!drop) await migrateDatabase(url, migrations);
  const db = await createDataSource({ url, poolSize: 4, applicationName: 'bench' }).initialize();
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  return {
    url,
    db,
    pool,
    async close() {
      await pool.end();
      await db.destroy();
      await drop?.();
    },
  };
}

/** A scratch database with the pilot seeded, dropped on close. */
async function scratchPilot(): Promise<BenchDatabase> {
  const made = await scratchDatabase('bench_directory');
  const scratch = await openDatabase(made.url, () => made.drop());
  process.stdout.write('Seeding the pilot (44,000 files, 8,000 permissions)... ');
  const started = Date.now();
  await seedPilot(scratch.db, PILOT_DEFAULTS);
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
  return scratch;
}

async function main() {
  const keptPilot = process.env.BENCH_PILOT_DATABASE_URL;
  const keptCity = process.env.BENCH_CITY_DATABASE_URL;
  const opened: BenchDatabase[] = [];
  console.log(`Before: ${machineSpeed()}`);
  try {
    const pilotDb = keptPilot ? await openDatabase(keptPilot) : await scratchPilot();
    opened.push(pilotDb);
    const pilot = await measure('pilot', pilotDb.url, pilotDb.db, pilotDb.pool, BASE_PORT);
    if (CITY) {
      let cityDb: BenchDatabase;
      if (keptCity) {
        cityDb = await openDatabase(keptCity);
        opened.push(cityDb);
      } else {
        // The city is the pilot plus the rest: loaded on top of the scratch pilot, or of a fresh one.
        cityDb = keptPilot ? await scratchPilot() : pilotDb;
        if (cityDb !== pilotDb) opened.push(cityDb);
        process.stdout.write(
          '\nLoading the rest of the city (seed --city: 16 more districts, about 750,000 files, 136,000 permissions)... ',
        );
        const cityStarted = Date.now();
        await seedCity(cityDb.db, { scale: 1, jobs: 2 });
        console.log(`${((Date.now() - cityStarted) / 1000).toFixed(1)} s`);
      }
      const city = await measure('city', cityDb.url, cityDb.db, cityDb.pool, BASE_PORT + 1);
      sideBySide(pilot, city);
    }
    console.log(`After: ${machineSpeed()}`);
  } finally {
    for (const d of opened) await d.close();
  }
}

function handWrittenPageWithCursor(client: pg.PoolClient, dept: DepartmentRef, time: string, id: string) {
  return handWrittenPage(client, dept, `f.category = $3`, ['medical records'], 'f.updated_at DESC, f.id DESC', {
    sql: `AND (f.updated_at, f.id) < ($4::timestamptz, $5::uuid)`,
    params: [time, id],
  });
}

await main();
