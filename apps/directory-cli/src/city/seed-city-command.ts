import type { DataSource } from 'typeorm';
import { createProgress } from '../progress.js';
import { seedCity } from './city-seed.js';

/** Loads the whole city with a progress bar; running it again adds nothing. */
export async function seedCityCommand(db: DataSource, options: { scale?: number; jobs?: number }): Promise<void> {
  const settings = { scale: options.scale ?? 1, jobs: options.jobs ?? 2 };
  const progress = createProgress();
  const started = Date.now();
  try {
    const result = await seedCity(db, settings, (phase, done, total) => progress.update(phase, done, total));
    progress.stop();
    for (const d of result.districts) {
      console.log(
        `  ${d.code.padEnd(12)} ${String(d.filesInserted).padStart(7)} of ${String(d.files).padStart(7)} files, ${String(d.grantsInserted).padStart(6)} of ${String(d.grants).padStart(6)} permissions new`,
      );
    }
    console.log(
      `city: ${result.filesInserted} of ${result.files} files and ${result.grantsInserted} of ${result.grants} permissions were new ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    progress.stop();
  }
}
