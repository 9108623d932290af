import { Module } from '@nestjs/common';
import { AuditLogModule } from '@app/audit';
import { AccessService } from './access.service.js';
import { GrantRepository } from './grant.repository.js';
import { GrantService } from './grant.service.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * Callers' policies and the grants (the permission table). Needs a
 * FileCatalog in scope: the directory's module provides it.
 */
@Module({
  imports: [AuditLogModule],
  providers: [GrantRepository, ReviewsRepository, GrantService, AccessService],
  exports: [AccessService, GrantService],
})
export class AccessModule {}
