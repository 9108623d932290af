import { Injectable, type INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * The database and the domain's services, for the commands that need them.
 *
 * The CLI's own container holds the commands and this, nothing that touches
 * the database: audit:keygen, audit:check-receipt, the witness commands,
 * district:new and token must run with no database reachable, and start
 * quickly (the libraries and drivers load here, when first asked for). A
 * command that needs the database asks this while it runs; the domain's
 * services then come from createDomainContext, the API's DomainModule over
 * the CLI's DataSource, built as the benchmarks and tests build it: every
 * global module bound and the lifecycle hooks run, which a Nest lazy module
 * would not do.
 */
@Injectable()
export class DatabaseOnDemand {
  /** The database `npm start` uses (cli-env.ts), open while `work` runs. */
  async withDatabase<T>(work: (db: DataSource) => Promise<T>): Promise<T> {
    const { openDatabase } = await import('./cli-env.js');
    const database = await openDatabase();
    try {
      return await work(database.db);
    } finally {
      await database.close();
    }
  }

  /** The domain's services, signing with the service's audit keys, over that database. */
  async withDomain<T>(work: (domain: INestApplicationContext) => Promise<T>): Promise<T> {
    const [{ loadAuditKeys }, { createDomainContext }, { developmentEnv }] = await Promise.all([
      import('@app/audit'),
      import('@app/domain'),
      import('./cli-env.js'),
    ]);
    const keys = loadAuditKeys(developmentEnv());
    return this.withDatabase(async (db) => {
      const domain = await createDomainContext(db, { keys });
      try {
        return await work(domain);
      } finally {
        await domain.close();
      }
    });
  }
}
