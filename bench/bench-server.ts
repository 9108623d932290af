import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

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
