import cliProgress from 'cli-progress';
import { PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { openDatabase } from '../cli-env.js';

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
}

/** Loads the pilot data set with a progress bar; running it again adds nothing. */
export async function seed(options: { files?: string; permissions?: string; seed?: string; district?: string }): Promise<void> {
  const settings = {
    districtCode: options.district ?? PILOT_DEFAULTS.districtCode,
    files: positive(options.files, PILOT_DEFAULTS.files, 'files'),
    permissions: positive(options.permissions, PILOT_DEFAULTS.permissions, 'permissions'),
    seed: positive(options.seed, PILOT_DEFAULTS.seed, 'seed'),
  };
  const database = await openDatabase();
  const bars = new cliProgress.MultiBar({ format: ' {phase} [{bar}] {value}/{total} {percentage}% {duration}s', hideCursor: true }, cliProgress.Presets.shades_classic);
  const progress = new Map<string, cliProgress.SingleBar>();
  const started = Date.now();
  try {
    const result = await seedPilot(database.db, settings, (phase, done, total) => {
      let bar = progress.get(phase);
      if (!bar) {
        bar = bars.create(total, 0, { phase: phase.padEnd(11) });
        progress.set(phase, bar);
      }
      bar.update(done);
    });
    bars.stop();
    console.log(
      `pilot: ${result.filesInserted} of ${result.files} files and ${result.grantsInserted} of ${result.grants} permissions were new ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    bars.stop();
    await database.close();
  }
}
