import { Module } from '@nestjs/common';
import { AuditLogModule } from '@app/audit';
import { AccessService } from './access.service.js';
import { PermissionsRepository } from './permissions.repository.js';
import { PermissionsService } from './permissions.service.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * Callers' policies and the grants (the permission table). Needs a
 * FileCatalog in scope: the directory's module provides it.
 */
@Module({
  imports: [AuditLogModule],
  providers: [PermissionsRepository, ReviewsRepository, PermissionsService, AccessService],
  exports: [AccessService, PermissionsService],
})
export class AccessModule {}
