/**
 * npm run bench:exchange [-- --city] — full request -> approve -> deliver ->
 * revoke cycles by 32 concurrent clients, requesters and owners spread over
 * every onboarded district (17), through the services on a real PostgreSQL (no
 * HTTP): cycles per second, p99 per step, the statements each cycle sends
 * (counted at the driver: every query the pg client is given, BEGIN and COMMIT
 * included), and the share of the time spent in the statements that append to
 * the audit log (each step's write, which appends in the same statement). Each cycle
 * ends with the owner revoking the grant its approval made, so that every
 * request is decided by a steward rather than by an earlier grant. The services
 * share one pool of DATABASE_POOL_SIZE connections (10 unless set), set up to
 * plan as the API's are: the clients queue for them, as requests do. Each step
 * decides its caller's policy first, as the API does once per request; those
 * statements are counted in the cycle and also shown apart.
 *
 * Before the timed run, the same cycles run for BENCH_WARMUP seconds (2
 * unless set), not counted, and then the tables they grew are analyzed as
 * PostgreSQL's autovacuum would (more than 50 rows + 10 % changed since their
 * last statistics). The city is loaded without exchanges: on an empty
 * `exchange` table every connection plans its lookups as scans of a table
 * of a few rows, and keeps those plans while the table grows, unless new
 * statistics invalidate them. A production server's autovacuum takes them
 * within its first minute; benchmark machines often run without it.
 *
 * With BENCH_TURN and BENCH_START_AT, two runs take turns in windows
 * seconds apart, to compare two checkouts or settings on a machine whose
 * speed drifts (see turnTaking, and README's `bench:compare`).
 *
 * `--city` first loads the whole city (`seed --city`: about 750,000 files and
 * 136,000 grants, and their entries in the district ledgers; BENCH_CITY_SCALE
 * scales it down), so that the cycles run against city-sized tables and ledgers;
 * with BENCH_CITY_TEMPLATE (the name of a database on the same server that
 * `seed --city` loaded), the run works on a copy of that one instead of
 * loading the city again.
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { Actor, Role } from '@app/auth';
import { createDataSource, DEFAULT_POOL_SIZE } from '@app/database';
import { seedCity } from '../apps/directory-cli/src/city/city-seed.js';
import { domainServices } from './domain-services.js';
import { fmt, machineSpeed, percentile, scratchDatabase } from './bench-database.js';
import { machineCpuMillis, postgresCpuMillis } from './bench-server.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? DEFAULT_POOL_SIZE);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CITY = process.argv.includes('--city');
const CITY_SCALE = Number(process.env.BENCH_CITY_SCALE ?? 1);
const CITY_TEMPLATE = CITY ? process.env.BENCH_CITY_TEMPLATE : undefined;
/** Who runs the cycles: `app`, a login of the API's role (as in production), or `owner`, the tables' owner. */
const ROLE = process.env.BENCH_ROLE === 'owner' ? 'owner' : 'app';
/** Taking turns with another run of this benchmark (see turnTaking): the length of each one's windows. */
const TURN_SECONDS = Number(process.env.BENCH_TURN_SECONDS ?? 5);

// Statements and time spent in audit_append statements, measured at the driver and
// charged to the timed step whose work issued them, so that the figures printed are
// taken over one set of steps: every timed step, succeeded or failed.
interface StepClock {
  appendNanos: bigint;
  statements: number;
  /** Statements of the policy decision that opens the step. */
  policy: boolean;
  policyStatements: number;
}
const currentStep = new AsyncLocalStorage<StepClock>();
let statements = 0;
const { query } = pg.Client.prototype as unknown as { query: (this: pg.Client, ...args: unknown[]) => unknown };
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string } | undefined;
  const text = typeof first === 'string' ? first : (first?.text ?? '');
  statements += 1;
  const step = currentStep.getStore();
  if (step) {
    step.statements += 1;
    if (step.policy) step.policyStatements += 1;
  }
  const result = query.apply(this, args);
  if (step && text.includes('audit_append') && result instanceof Promise) {
    const started = process.hrtime.bigint();
    return result.finally(() => (step.appendNanos += process.hrtime.bigint() - started));
  }
  return result;
} as typeof pg.Client.prototype.query;

/** What one timed window took, or several added up. */
interface Measured {
  cycles: number;
  failures: number;
  wallSeconds: number;
  serviceCpuMs: number;
  databaseCpuMs: number | undefined;
  machine: { busy: number; idle: number; stolen: number } | undefined;
}

const addMeasured = (a: Measured, b: Measured): Measured => ({
  cycles: a.cycles + b.cycles,
  failures: a.failures + b.failures,
  wallSeconds: a.wallSeconds + b.wallSeconds,
  serviceCpuMs: a.serviceCpuMs + b.serviceCpuMs,
  databaseCpuMs: a.databaseCpuMs === undefined || b.databaseCpuMs === undefined ? undefined : a.databaseCpuMs + b.databaseCpuMs,
  machine:
    a.machine && b.machine
      ? { busy: a.machine.busy + b.machine.busy, idle: a.machine.idle + b.machine.idle, stolen: a.machine.stolen + b.machine.stolen }
      : undefined,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));

/**
 * Two runs of this benchmark, each on its own copy of the city and from its
 * own checkout or settings, taking turns on one machine: BENCH_TURN (0 or 1)
 * says which, BENCH_START_AT (epoch milliseconds, the same for both, after
 * both have loaded) when the first window opens. Each run's windows last
 * BENCH_TURN_SECONDS and alternate with the other's, a second apart, the
 * two changing places every round, for
 * BENCH_ROUNDS rounds (8 unless set), after a window of warm-up and one in
 * which the run takes its statistics and the machine's speed. The
 * machine's speed drifts by tens of percent within minutes here, far more
 * than most changes weigh: runs one after the other cannot tell 5 % apart,
 * windows seconds apart can, since both see the same drift. Undefined when
 * BENCH_TURN is not set: one run, timed for BENCH_SECONDS.
 */
function turnTaking(): { turn: number; rounds: number; window(round: number): { from: number; until: number } } | undefined {
  if (process.env.BENCH_TURN === undefined) return undefined;
  const turn = Number(process.env.BENCH_TURN);
  const startAt = Number(process.env.BENCH_START_AT);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
  if (![0, 1].includes(turn) || !Number.isFinite(startAt) || !(rounds > 0)) {
    throw new Error('taking turns needs BENCH_TURN (0 or 1), BENCH_START_AT (epoch ms) and BENCH_ROUNDS (> 0)');
  }
  // Each window is followed by a second in which its last cycles end before the other run's window opens.
  const half = TURN_SECONDS * 1000 + 1000;
  return {
    turn,
    rounds,
    window: (round) => {
      // The two change places every round (A B, B A, A B...), so that neither is always the one that follows.
      const from = startAt + (2 * round + (round % 2 === 0 ? turn : 1 - turn)) * half;
      return { from, until: from + TURN_SECONDS * 1000 };
    },
  };
}

async function main() {
  const scratch = await scratchDatabase('bench_exchange', undefined, CITY_TEMPLATE);
  // The API's planning settings: no parallel workers, prepared statements on their generic plans.
  const db = await createDataSource({
    url: scratch.url,
    poolSize: POOL_SIZE,
    applicationName: 'bench',
    serialPlans: true,
    genericPlans: true,
  }).initialize();
  let app: Awaited<ReturnType<typeof appRoleServices>> | undefined;
  try {
    if (CITY_TEMPLATE) {
      console.log(`The city: a copy of ${CITY_TEMPLATE}`);
    } else if (CITY) {
      process.stdout.write(`Loading the city (seed --city, scale ${CITY_SCALE})... `);
      const started = Date.now();
      const city = await seedCity(db, { scale: CITY_SCALE, jobs: 2 });
      console.log(`${fmt(city.files)} files, ${fmt(city.grants)} grants in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const { directory, access, exchanges, permissions } = await domainServices(db);
    const actor = async (code: string, roles: Role[]): Promise<Actor> => ({
      subject: 'bench',
      roles,
      department: (await directory.departmentByCode(code))!,
    });
    // Every onboarded district, or the first BENCH_DISTRICTS of them (by code) to compare with a narrower run.
    const districts = (await directory.districts())
      .map((d) => d.code)
      .sort()
      .slice(0, Number(process.env.BENCH_DISTRICTS ?? Infinity));

    // In each district the health commission owns a file of 200 published rows.
    const files: { district: string; fileId: string; owner: Actor }[] = [];
    for (const district of districts) {
      const owner = await actor(`${district}-health-commission`, ['STEWARD']);
      const policy = await access.policyFor(owner);
      const file = await directory.registerFile(policy, {
        code: 'bench-clinic-visits',
        title: 'Clinic visits',
        classification: 'RESTRICTED',
        category: 'medical records',
        format: 'table',
        fields: ['patient_name', 'age', 'diagnosis_code', 'visit_date', 'clinic', 'insured'].map((name) => ({
          name,
          type: name === 'age' ? 'integer' : name === 'insured' ? 'boolean' : 'string',
          sensitive: name === 'patient_name',
        })),
      });
      const rows = Array.from({ length: 200 }, (_, i) => ({
        patient_name: `P${i}`,
        age: 20 + (i % 60),
        diagnosis_code: `E${i % 90}`,
        visit_date: '2026-05-01',
        clinic: `C${i % 7}`,
        insured: i % 2 === 0,
      }));
      await exchanges.publishRecords(await access.policyFor(owner), file.id, rows);
      files.push({ district, fileId: file.id, owner });
    }
    // One requesting department per client, spread over the districts (made here, in the scratch database),
    // each let read the catalogue of the files of the other districts (a request needs READ).
    const requesters: Actor[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const district = districts[c % districts.length];
      const code = `${district}-bench-office-${c}`;
      await db.query(`INSERT INTO department (code, name, district_id) SELECT $1, $1, id FROM district WHERE code = $2`, [code, district]);
      requesters.push(await actor(code, ['MEMBER']));
    }
    for (const f of files) {
      for (const requester of requesters.filter((r) => r.department.districtCode !== f.district)) {
        await permissions.grant(await access.policyFor(f.owner), {
          fileId: f.fileId,
          granteeDepartmentCode: requester.department.code,
          actions: ['READ'],
          purpose: 'benchmark',
        });
      }
    }

    // The cycles run as the API runs in production: a login of the role exchange_app (docker-compose.yml), which
    // the database holds to its audit entries (migration AuditedWrites). BENCH_ROLE=owner runs them as the owner.
    app =
      ROLE === 'app'
        ? await appRoleServices(db, scratch.url).catch((error: unknown) => {
            console.log(`No login of the API's role (${(error as Error).message}): the cycles run as the owner.`);
            return undefined;
          })
        : undefined;
    const cycling = app?.services ?? { access, exchanges, permissions };

    type Step = 'request' | 'approve' | 'deliver' | 'revoke';
    const steps: Record<Step, number[]> = { request: [], approve: [], deliver: [], revoke: [] };
    // Every timed step, whatever its outcome: its time and the append time inside it.
    const spent = {
      request: { stepNanos: 0n, appendNanos: 0n, statements: 0 },
      approve: { stepNanos: 0n, appendNanos: 0n, statements: 0 },
      deliver: { stepNanos: 0n, appendNanos: 0n, statements: 0 },
      revoke: { stepNanos: 0n, appendNanos: 0n, statements: 0 },
    };
    let policyStatements = 0;
    let stepStatements = 0;
    /** A step: its caller's policy decided (as the API does per request), then the service call. */
    /** False during the warm-up: its steps are not counted. */
    let measuring = false;
    const time = async <T>(
      step: Step,
      caller: Actor,
      work: (policy: Awaited<ReturnType<typeof access.policyFor>>) => Promise<T>,
    ): Promise<T> => {
      const clock: StepClock = { appendNanos: 0n, statements: 0, policy: true, policyStatements: 0 };
      const started = process.hrtime.bigint();
      try {
        const result = await currentStep.run(clock, async () => {
          const policy = await cycling.access.policyFor(caller);
          clock.policy = false;
          return work(policy);
        });
        if (measuring) steps[step].push(Number(process.hrtime.bigint() - started) / 1e6);
        return result;
      } finally {
        if (measuring) record(step, started, clock);
      }
    };
    const record = (step: Step, started: bigint, clock: StepClock) => {
      spent[step].stepNanos += process.hrtime.bigint() - started;
      spent[step].appendNanos += clock.appendNanos;
      spent[step].statements += clock.statements;
      policyStatements += clock.policyStatements;
      stepStatements += clock.statements;
    };
    /** Every client runs cycles until `until` (epoch ms); the count of those completed and failed. */
    const runCycles = async (until: number) => {
      let cycles = 0;
      let failures = 0;
      await Promise.all(
        requesters.map(async (requester, c) => {
          let n = 0;
          while (Date.now() < until) {
            const others = files.filter((f) => f.district !== requester.department.districtCode);
            const target = others[(c + n++) % others.length];
            try {
              const x = await time('request', requester, (policy) =>
                cycling.exchanges.request(policy, {
                  fileId: target.fileId,
                  fields: ['age', 'diagnosis_code', 'visit_date'],
                  purpose: `cycle ${c}-${n}`,
                }),
              );
              const approved = await time('approve', target.owner, (policy) => cycling.exchanges.approve(policy, x.id, null));
              await time('deliver', requester, (policy) => cycling.exchanges.deliver(policy, x.id));
              // A one-off exchange: the owner revokes the grant the approval made, so the next request needs a steward again.
              await time('revoke', target.owner, (policy) => cycling.permissions.revoke(policy, approved.permissionId!, 'delivered'));
              cycles++;
            } catch (error) {
              failures++;
              if (failures < 5) console.error((error as Error).message);
            }
          }
        }),
      );
      return { cycles, failures };
    };
    /** The cycles of one window, from `from` until `until` (epoch ms), and the CPU they took: it ends when the last cycle does. */
    const timedWindow = async (from: number, until: number): Promise<Measured> => {
      await sleep(from - Date.now());
      const started = process.hrtime.bigint();
      const serviceCpu = process.cpuUsage();
      const [databaseCpu, machineCpu] = await Promise.all([postgresCpuMillis(), machineCpuMillis()]);
      const { cycles, failures } = await runCycles(until);
      const [databaseAfter, machineAfter] = await Promise.all([postgresCpuMillis(), machineCpuMillis()]);
      return {
        cycles,
        failures,
        wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        serviceCpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(serviceCpu)),
        databaseCpuMs: databaseCpu === undefined || databaseAfter === undefined ? undefined : databaseAfter - databaseCpu,
        machine:
          machineCpu && machineAfter
            ? {
                busy: machineAfter.busy - machineCpu.busy,
                idle: machineAfter.idle - machineCpu.idle,
                stolen: machineAfter.stolen - machineCpu.stolen,
              }
            : undefined,
      };
    };
    const turns = turnTaking();
    if (turns && Date.now() > turns.window(0).from) {
      throw new Error('BENCH_START_AT came before this run was ready: give both runs more time to load');
    }
    let analyzed: string[] = [];
    if (WARMUP > 0) {
      const warmup = turns?.window(0) ?? { from: Date.now(), until: Date.now() + WARMUP * 1000 };
      await sleep(warmup.from - Date.now());
      await runCycles(warmup.until);
      // Taking turns, the statistics and the speed below are taken in this run's next window, not in the other's.
      if (turns) await sleep(turns.window(1).from - Date.now());
      analyzed = await analyzeAsAutovacuumWould(db);
    }
    const speedBefore = machineSpeed();
    statements = 0;
    measuring = true;
    const windows = turns
      ? Array.from({ length: turns.rounds }, (_, r) => turns.window(r + 2))
      : [{ from: Date.now(), until: Date.now() + SECONDS * 1000 }];
    const measured: Measured[] = [];
    for (const { from, until } of windows) measured.push(await timedWindow(from, until));
    const { cycles, failures, wallSeconds: wall, serviceCpuMs, databaseCpuMs, machine } = measured.reduce(addMeasured);
    if (turns) await sleep(turns.window(turns.rounds + 2).from - Date.now());
    const speedAfter = machineSpeed();
    const perCycle = (n: number) => fmt(n / Math.max(cycles, 1), 1);
    console.log(
      `\nExchange cycles (request -> approve -> deliver of 200 rows x 3 fields -> revoke): ${CLIENTS} clients on ${POOL_SIZE} connections as ${app ? "a login of the API's role" : 'the owner'}, ${districts.length} districts${CITY_TEMPLATE ? `, city data set (a copy of ${CITY_TEMPLATE})` : CITY ? `, city data set (scale ${CITY_SCALE})` : ''}, ${
        turns ? `${turns.rounds} windows of ${TURN_SECONDS} s, taking turns with another run (turn ${turns.turn})` : `${SECONDS} s`
      }`,
    );
    console.log(`  ${fmt(cycles / wall)} cycles/s (${fmt(cycles)} cycles, ${failures} failed)`);
    if (turns) console.log(`  per window, cycles/s: ${measured.map((m) => (m.cycles / m.wallSeconds).toFixed(1)).join(' ')}`);
    console.log(
      WARMUP > 0
        ? `  after a ${turns ? `${TURN_SECONDS}-s window` : `${WARMUP}-s`} warm-up of the same cycles, not counted, and statistics taken of ${analyzed.join(', ') || 'no table'} (as autovacuum would)`
        : '  without a warm-up',
    );
    console.log(`  before the run ${speedBefore}; after it ${speedAfter.replace('machine speed: ', '')}`);
    console.log(
      `  ${perCycle(stepStatements)} statements per cycle, BEGIN/COMMIT included (${perCycle(statements)} sent in all while timing), of which ${perCycle(policyStatements)} decide the callers' policies (one per request)`,
    );
    console.log(
      `  CPU per cycle: ${fmt(serviceCpuMs / Math.max(cycles, 1), 2)} ms in this process (the services and the load), ${
        databaseCpuMs === undefined
          ? 'PostgreSQL not measured (no /proc)'
          : `${fmt(databaseCpuMs / Math.max(cycles, 1), 2)} ms in PostgreSQL`
      }; ${fmt(1000 / Math.max(cycles / wall, 1e-9), 2)} ms of wall time per cycle on ${availableParallelism()} cores`,
    );
    if (machine && databaseCpuMs !== undefined) {
      // How far the CPU a cycle costs bounds the rate on this machine: all of it on the same cores.
      const { busy, idle, stolen } = machine;
      const all = Math.max(busy + idle + stolen, 1);
      const perCycleMs = (serviceCpuMs + databaseCpuMs) / Math.max(cycles, 1);
      console.log(
        `  the machine's ${availableParallelism()} cores: ${fmt((busy / all) * 100)} % busy, ${fmt((idle / all) * 100)} % idle, ${fmt((stolen / all) * 100)} % taken by its host; at ${fmt(perCycleMs, 2)} ms of CPU a cycle, fully busy they would run about ${fmt((availableParallelism() * 1000) / perCycleMs)} cycles/s`,
      );
    }
    console.log(
      `  per step: ${Object.entries(spent)
        .map(([step, clock]) => `${step} ${perCycle(clock.statements)}`)
        .join(', ')}`,
    );
    for (const [step, list] of Object.entries(steps)) {
      list.sort((a, b) => a - b);
      console.log(
        `  ${step.padEnd(8)} p50 ${fmt(percentile(list, 50), 1).padStart(7)} ms   p99 ${fmt(percentile(list, 99), 1).padStart(7)} ms`,
      );
    }
    const share = ({ stepNanos, appendNanos }: { stepNanos: bigint; appendNanos: bigint }) =>
      `${((Number(appendNanos) / Number(stepNanos || 1n)) * 100).toFixed(1)} %`;
    const all = Object.values(spent).reduce((x, y) => ({
      stepNanos: x.stepNanos + y.stepNanos,
      appendNanos: x.appendNanos + y.appendNanos,
      statements: x.statements + y.statements,
    }));
    const perStep = Object.entries(spent)
      .map(([step, clock]) => `${step} ${share(clock)}`)
      .join(', ');
    console.log(
      `  the writes that append (row and audit entry in one statement, lock wait included): ${share(all)} of the time in the four steps (${perStep})`,
    );
  } finally {
    await app?.close();
    await db.destroy();
    await scratch.drop();
  }
}

/**
 * The services on the scratch database as a new login of the role
 * exchange_app, its pool planned and sized as the API's; closing them drops
 * the login.
 */
async function appRoleServices(owner: DataSource, ownerUrl: string) {
  const login = `bench_app_${process.pid}`;
  await owner.query(`DROP ROLE IF EXISTS ${login}`);
  await owner.query(`CREATE ROLE ${login} LOGIN IN ROLE exchange_app`);
  const url = new URL(ownerUrl);
  url.username = login;
  url.password = '';
  const db = await createDataSource({
    url: url.toString(),
    poolSize: POOL_SIZE,
    applicationName: 'bench',
    serialPlans: true,
    genericPlans: true,
  }).initialize();
  const services = await domainServices(db);
  return {
    services,
    async close() {
      await services.close();
      await db.destroy();
      await owner.query(`DROP ROLE IF EXISTS ${login}`);
    },
  };
}

/**
 * ANALYZE of every table changed by more than autovacuum's threshold (50 rows
 * and 10 % of its rows) since its statistics were taken; the tables' names.
 */
async function analyzeAsAutovacuumWould(db: DataSource): Promise<string[]> {
  // The statistics of this session's changes reach pg_stat_user_tables when it is next read after a report.
  await db.query('SELECT pg_stat_force_next_flush()');
  const tables = await db.query<{ name: string }[]>(
    `SELECT s.relname AS name FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) ORDER BY s.relname`,
  );
  for (const { name } of tables) await db.query(`ANALYZE ${pg.escapeIdentifier(name)}`);
  return tables.map((t) => t.name);
}

await main();
