import { openDatabase } from '../cli-env.js';
import { createProgress } from '../progress.js';
import { seedCity } from './city-seed.js';

function parseScale(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new Error('--scale must be a number above 0 and at most 1');
  return n;
}

function parseJobs(value: string | undefined): number {
  if (value === undefined) return 2;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error('--jobs must be a whole number from 1 to 16');
  return n;
}

/** Loads the whole city with a progress bar; running it again adds nothing. */
export async function seedCityCommand(options: { scale?: string; jobs?: string }): Promise<void> {
  const settings = { scale: parseScale(options.scale), jobs: parseJobs(options.jobs) };
  // The whole city is loaded by COPY, which the embedded database's socket does not carry (and 4 GB is no demo).
  if (!process.env.DATABASE_URL)
    throw new Error('seed --city needs a PostgreSQL server: set DATABASE_URL (the embedded database serves the pilot)');
  const database = await openDatabase();
  const progress = createProgress();
  const started = Date.now();
  try {
    const result = await seedCity(database.db, settings, (phase, done, total) => progress.update(phase, done, total));
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
    await database.close();
  }
}
