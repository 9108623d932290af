import { Module, type DynamicModule } from '@nestjs/common';
import { AccessModule } from '@app/access';
import { AuditModule, type AuditModuleOptions } from '@app/audit';
import { DirectoryModule, FileSchemaModule } from '@app/directory';
import { ExchangeModule } from '@app/exchange';

/**
 * Every library's module, wired once: the API and the CLI both build from
 * this, so they run the same graph. Needs a TypeORM DataSource in scope.
 */
@Module({})
export class DomainModule {
  static forRoot(audit: AuditModuleOptions): DynamicModule {
    const modules = [DirectoryModule, AccessModule, FileSchemaModule, ExchangeModule, AuditModule.forRoot(audit)];
    return { module: DomainModule, imports: modules, exports: modules };
  }
}
