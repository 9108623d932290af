import { Module } from '@nestjs/common';
import { AccessModule } from '@app/access';
import { AuditLogModule } from '@app/audit';
import { FileSchemaService } from './file-schema.service.js';

/**
 * Schema changes of files, which reach the grants on them. A module of its
 * own: it needs access's GrantService, which itself needs the
 * directory's FileCatalog, so it cannot live in DirectoryModule's providers
 * without a cycle.
 */
@Module({
  imports: [AuditLogModule, AccessModule],
  providers: [FileSchemaService],
  exports: [FileSchemaService],
})
export class FileSchemaModule {}
