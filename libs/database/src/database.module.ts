import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * An initialized DataSource as the Nest provider every library's repositories
 * inject: for processes that open the database themselves (the CLI, benchmarks).
 * The API gets the same provider from TypeOrmModule.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forDataSource(db: DataSource): DynamicModule {
    return { module: DatabaseModule, providers: [{ provide: DataSource, useValue: db }], exports: [DataSource] };
  }
}
