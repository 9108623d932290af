import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/**
 * The service in a process of its own; resolves once it listens. `built` runs
 * the compiled service (`npm run build`), as production does: what it measures
 * then (memory above all) carries no TypeScript compiler. BENCH_BUILT=1 asks
 * for it from the command line, for benchmarks that do not choose.
 */
export async function startServer(env: Record<string, string>, options: { built?: boolean } = {}): Promise<ChildProcess> {
  const entry =
    (options.built ?? process.env.BENCH_BUILT === '1')
      ? [
          ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
          // As `npm run start:prod` and the image start it.
          '--heap-growing-percent=75',
          'dist/apps/directory-api/src/main.js',
        ]
      : ['--import', '@swc-node/register/esm-register', 'apps/directory-api/src/main.ts'];
  const child = spawn(process.execPath, entry, {
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('GraphQL:') && resolve());
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });
  return child;
}

/**
 * A process's resident memory in MB as the kernel counts it: `peak` is its
 * high-water mark since it started (VmHWM), `now` its current size (VmRSS).
 * Linux only; undefined elsewhere.
 */
export async function residentMemory(pid: number | undefined): Promise<{ peak: number; now: number } | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    const peak = kb('VmHWM');
    const now = kb('VmRSS');
    return Number.isFinite(peak) && Number.isFinite(now) ? { peak: peak / 1024, now: now / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds in one of the ticks /proc counts CPU time in (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

/**
 * CPU time (user + system, ms) used so far by PostgreSQL on this machine,
 * from /proc: every PostgreSQL process still running, and the processes that
 * ended (connections closed, workers done), which their parent, the
 * postmaster, counts once it has waited for them. Taken before and after a
 * timed run, the difference is what the database spent on it (with whatever
 * else it did meanwhile). Linux only; undefined elsewhere.
 */
export async function postgresCpuMillis(): Promise<number | undefined> {
  try {
    let total = 0;
    for (const pid of await readdir('/proc')) {
      if (/^\d+$/.test(pid)) total += (await cpuOf(Number(pid), '(postgres)', true)) ?? 0;
    }
    return total;
  } catch {
    return undefined;
  }
}

/**
 * The whole machine's CPU time so far, from /proc/stat, in ms summed over its
 * cores: `busy` (user, system and interrupts), `idle` (idle and I/O wait) and
 * `stolen` (taken by the host of a virtual machine). Taken before and after a
 * timed run, the differences say how much of the machine the run kept busy
 * (with whatever else ran meanwhile). Linux only; undefined elsewhere.
 */
export async function machineCpuMillis(): Promise<{ busy: number; idle: number; stolen: number } | undefined> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n', 1)[0];
  if (!line.startsWith('cpu ')) return undefined;
  // user nice system idle iowait irq softirq steal, in ticks; guest time is within user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
  return { busy: (user + nice + system + irq + softirq) * TICK_MS, idle: (idle + iowait) * TICK_MS, stolen: steal * TICK_MS };
}

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where it cannot be read. */
export function processCpuMillis(pid: number | undefined): Promise<number | undefined> {
  return pid === undefined ? Promise.resolve(undefined) : cpuOf(pid);
}

/** The process's CPU time in ms (with that of its children that ended, if `ended`), if its command is `command`. */
async function cpuOf(pid: number, command?: string, ended = false): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat || (command && !stat.includes(command))) return undefined;
  // Fields after the command: state is the first; utime, stime, cutime and cstime the 12th to 15th, in ticks.
  const ticks = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, ended ? 15 : 13)
    .reduce((sum, field) => sum + Number(field), 0);
  return ticks * TICK_MS;
}
