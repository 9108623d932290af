import { Module } from '@nestjs/common';
import { AuditLogModule } from '@app/audit';
import { AccessModule } from '@app/access';
import { DirectoryModule } from '@app/directory';
import { ExchangeRepository, RecordsRepository } from './exchange.repository.js';
import { ExchangeService } from './exchange.service.js';

/** Published records and the request → approve → deliver workflow. */
@Module({
  imports: [AuditLogModule, AccessModule, DirectoryModule],
  providers: [ExchangeRepository, RecordsRepository, ExchangeService],
  exports: [ExchangeService],
})
export class ExchangeModule {}
