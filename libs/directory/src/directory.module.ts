import { Global, Module } from '@nestjs/common';
import { FileCatalog } from '@app/access';
import { AuditLogModule, KnownLedgers } from '@app/audit';
import { DirectoryRepository } from './directory.repository.js';
import { DirectoryService } from './directory.service.js';
import { DistrictLedgers } from './district-ledgers.js';
import { FileFacetsRepository } from './file-facets.repository.js';
import { FilesRepository } from './files.repository.js';
import { AudienceRepository } from './audience.repository.js';

/**
 * Districts, departments, files and fields. Repositories stay inside; the
 * service is the way in. Global for the two ports it fills, which libraries
 * below it declare and may not import it for: access's FileCatalog and the
 * audit log's KnownLedgers.
 */
@Global()
@Module({
  imports: [AuditLogModule],
  providers: [
    DirectoryRepository,
    FilesRepository,
    FileFacetsRepository,
    AudienceRepository,
    DirectoryService,
    { provide: FileCatalog, useExisting: DirectoryService },
    { provide: KnownLedgers, useClass: DistrictLedgers },
  ],
  exports: [DirectoryService, FileCatalog, KnownLedgers],
})
export class DirectoryModule {}
