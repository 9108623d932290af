import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The service in a process of its own; resolves once it listens. `built` runs
 * the compiled service (`npm run build`), as production does: what it measures
 * then (memory above all) carries no TypeScript compiler.
 */
export async function startServer(env: Record<string, string>, options: { built?: boolean } = {}): Promise<ChildProcess> {
  const entry = options.built
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
