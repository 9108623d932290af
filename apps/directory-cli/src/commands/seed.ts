import type { DataSource } from 'typeorm';
import { PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { createProgress } from '../progress.js';

/** Loads the pilot data set with a progress bar; running it again adds nothing. */
export async function seed(
  db: DataSource,
  options: { files?: number; permissions?: number; seed?: number; district?: string },
): Promise<void> {
  const settings = {
    districtCode: options.district ?? PILOT_DEFAULTS.districtCode,
    files: options.files ?? PILOT_DEFAULTS.files,
    permissions: options.permissions ?? PILOT_DEFAULTS.permissions,
    seed: options.seed ?? PILOT_DEFAULTS.seed,
  };
  const progress = createProgress();
  const started = Date.now();
  try {
    const result = await seedPilot(db, settings, (phase, done, total) => progress.update(phase, done, total));
    progress.stop();
    console.log(
      `pilot: ${result.filesInserted} of ${result.files} files and ${result.grantsInserted} of ${result.grants} permissions were new ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    progress.stop();
  }
}
