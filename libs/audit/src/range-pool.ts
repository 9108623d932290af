import { Worker } from 'node:worker_threads';
import type { RangeJob, RangeResult } from './range-verifier.js';

/** Under a TypeScript loader (tests, `npm run cli`) the worker is the .ts source and needs the loader too. */
function workerScript(): { url: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./range-verify.worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  const loader = ['--import', '@swc-node/register/esm-register'];
  const hasLoader = process.execArgv.some((a) => a.includes('@swc-node/register'));
  return { url, execArgv: fromSource && !hasLoader ? [...process.execArgv, ...loader] : process.execArgv };
}

/**
 * Verifies ranges on `workers` threads, each with its own connection to the
 * database at `url`; results come back in the order of `jobs`. Progress is
 * the sum of what every range has checked.
 */
export async function runRanges(
  url: string,
  jobs: RangeJob[],
  workers: number,
  onProgress?: (checked: number) => void,
): Promise<RangeResult[]> {
  const results = new Array<RangeResult>(jobs.length);
  const progress = new Array<number>(jobs.length).fill(0);
  let nextJob = 0;
  const { url: script, execArgv } = workerScript();
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(script, { workerData: { url }, execArgv, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      let current = -1;
      const next = () => {
        current = nextJob < jobs.length ? nextJob++ : -1;
        worker.postMessage(current === -1 ? null : jobs[current]);
      };
      worker.on('message', (m: { ready?: true; progress?: number; result?: RangeResult; error?: string }) => {
        if (m.ready) next();
        else if (m.progress !== undefined) {
          progress[current] = m.progress;
          onProgress?.(progress.reduce((a, b) => a + b, 0));
        } else if (m.result) {
          results[current] = m.result;
          next();
        } else if (m.error !== undefined) {
          nextJob = jobs.length; // the other workers stop after their current range
          void worker.terminate();
          reject(new Error(`verifying seq ${jobs[current].from}..${jobs[current].to}: ${m.error}`));
        }
      });
      worker.once('error', (error) => {
        nextJob = jobs.length;
        reject(error);
      });
      worker.once('exit', () => resolve());
    });
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, runWorker));
  return results;
}
