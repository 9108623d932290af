/**
 * npm run bench:compare -- <checkout> [--city] [--load-seconds N]
 *
 * `bench:exchange` in another checkout (A: the version to compare with, its
 * dependencies installed) and in this one (B), taking turns on this machine
 * in windows seconds apart (see turnTaking in exchange.bench.ts), then the
 * two side by side: cycles per second and CPU per cycle, and the ratio B/A
 * of each pair of neighbouring windows. Runs one after the other cannot tell
 * a few percent apart on a machine whose speed drifts by tens of percent
 * within minutes; neighbouring windows see the same drift.
 *
 * Both runs get this environment (DATABASE_URL, BENCH_CITY_TEMPLATE,
 * BENCH_ROUNDS, BENCH_TURN_SECONDS...); a variable prefixed A_ or B_ is given
 * to that run alone, unprefixed (`B_DATABASE_POOL_SIZE=5` compares pool sizes
 * with the same checkout given twice: `npm run bench:compare -- .`).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from './bench-database.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    city: { type: 'boolean', default: false },
    // Long enough for both runs to copy the city and set up before the first window.
    'load-seconds': { type: 'string', default: '150' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: npm run bench:compare -- <checkout to compare with> [--city] [--load-seconds N]');
  process.exit(2);
}

/** The environment of one side: everything, with that side's A_/B_ variables in place of the plain ones. */
function sideEnv(side: 'A' | 'B', turn: number, startAt: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_TURN: String(turn), BENCH_START_AT: String(startAt) };
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('A_') || key.startsWith('B_')) delete env[key];
    if (key.startsWith(`${side}_`)) env[key.slice(2)] = value;
  }
  return env;
}

/** One side's run: its whole output, and the figures read from it. */
function run(side: 'A' | 'B', dir: string, turn: number, startAt: number) {
  return new Promise<{ output: string; windows: number[]; rate: number; cpu: number }>((done, fail) => {
    const args = ['run', '--silent', 'bench:exchange', '--', ...(values.city ? ['--city'] : [])];
    const child = spawn('npm', args, { cwd: dir, env: sideEnv(side, turn, startAt), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const windows = /per window, cycles\/s: (.*)/.exec(output)?.[1].split(' ').map(Number);
      const rate = /^ {2}([\d,.]+) cycles\/s/m.exec(output)?.[1];
      const cpu = /CPU per cycle: ([\d.]+) ms in this process[^,]*, ([\d.]+) ms in PostgreSQL/.exec(output);
      if (code !== 0 || !windows || !rate || !cpu) return fail(new Error(`run ${side} (${dir}) failed:\n${output}`));
      done({ output, windows, rate: Number(rate.replace(/,/g, '')), cpu: Number(cpu[1]) + Number(cpu[2]) });
    });
  });
}

const startAt = Date.now() + Number(values['load-seconds']) * 1000;
const [a, b] = await Promise.all([run('A', resolve(positionals[0]), 0, startAt), run('B', process.cwd(), 1, startAt)]);
console.log(`A: ${resolve(positionals[0])}\n${a.output.trim()}\n\nB: ${process.cwd()}\n${b.output.trim()}\n`);
// A's and B's windows of a round are neighbours (in either order): the pairs whose ratio the drift spares.
const ratios = a.windows.map((rate, i) => b.windows[i] / rate).sort((x, y) => x - y);
console.log(
  `B/A: cycles/s ${(b.rate / a.rate).toFixed(3)} over all windows, median of ${ratios.length} neighbouring pairs ${percentile(ratios, 50).toFixed(3)} (from ${ratios[0].toFixed(3)} to ${ratios[ratios.length - 1].toFixed(3)}); CPU a cycle ${(b.cpu / a.cpu).toFixed(3)} (${a.cpu.toFixed(2)} ms for A, ${b.cpu.toFixed(2)} for B)`,
);
