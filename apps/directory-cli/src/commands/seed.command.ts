import { Command, Option } from 'nest-commander';
import { CliCommand, wholeNumber } from '../cli-command.js';
import { DatabaseOnDemand } from '../database-on-demand.js';

interface Options {
  files?: number;
  permissions?: number;
  seed?: number;
  district?: string;
  city?: boolean;
  scale?: number;
  jobs?: number;
}

@Command({
  name: 'seed',
  description:
    '[--files 44000] [--permissions 8000] [--seed N]  load the pilot data set (idempotent); --city [--scale 1] [--jobs 2]: the whole city',
})
export class SeedCommand extends CliCommand<Options> {
  constructor(private readonly database: DatabaseOnDemand) {
    super();
  }

  protected async execute(_: string[], options: Options): Promise<void> {
    if (options.city) {
      // The whole city is loaded by COPY, which the embedded database's socket does not carry (and 4 GB is no demo).
      if (!process.env.DATABASE_URL)
        throw new Error('seed --city needs a PostgreSQL server: set DATABASE_URL (the embedded database serves the pilot)');
      const { seedCityCommand } = await import('../city/seed-city-command.js');
      return this.database.withDatabase((db) => seedCityCommand(db, options));
    }
    const { seed } = await import('./seed.js');
    return this.database.withDatabase((db) => seed(db, options));
  }

  @Option({ flags: '--files <n>', description: 'files in the pilot (44000)' })
  files(value: string): number {
    return wholeNumber(value, 'files');
  }

  @Option({ flags: '--permissions <n>', description: 'permissions in the pilot (8000)' })
  permissions(value: string): number {
    return wholeNumber(value, 'permissions');
  }

  @Option({ flags: '--seed <n>', description: 'the random seed, for the same data set again' })
  seed(value: string): number {
    return wholeNumber(value, 'seed');
  }

  @Option({ flags: '--district <code>', description: "the pilot's district" })
  district(value: string): string {
    return value;
  }

  @Option({ flags: '--city', description: 'the pilot plus the 16 districts (needs DATABASE_URL)' })
  city(): boolean {
    return true;
  }

  @Option({ flags: '--scale <fraction>', description: 'with --city: the share of the city to load, above 0 and at most 1 (1)' })
  scale(value: string): number {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new Error('--scale must be a number above 0 and at most 1');
    return n;
  }

  @Option({ flags: '--jobs <n>', description: 'with --city: districts loaded at a time, 1 to 16 (2)' })
  jobs(value: string): number {
    return wholeNumber(value, 'jobs', 1, 16);
  }
}
