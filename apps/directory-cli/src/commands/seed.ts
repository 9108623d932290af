import { PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { openDatabase } from '../cli-env.js';
import { createProgress } from '../progress.js';

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
  const progress = createProgress();
  const started = Date.now();
  try {
    const result = await seedPilot(database.db, settings, (phase, done, total) => progress.update(phase, done, total));
    progress.stop();
    console.log(
      `pilot: ${result.filesInserted} of ${result.files} files and ${result.grantsInserted} of ${result.grants} permissions were new ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    progress.stop();
    await database.close();
  }
}
