import { NestFactory } from '@nestjs/core';
import { Module, type INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AuditModuleOptions } from '@app/audit';
import { DatabaseModule } from '@app/database';
import { DomainModule } from './domain.module.js';

/** The root of a context without HTTP. */
@Module({})
class DomainContextModule {}

/**
 * The domain's services on an open DataSource, without HTTP: what the CLI
 * (and benchmarks) run on, wired by the same modules as the API. Closing the
 * context leaves the DataSource open; its opener closes it.
 */
export function createDomainContext(db: DataSource, audit: AuditModuleOptions): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    { module: DomainContextModule, imports: [DatabaseModule.forDataSource(db), DomainModule.forRoot(audit)] },
    { logger: false, abortOnError: false },
  );
}
