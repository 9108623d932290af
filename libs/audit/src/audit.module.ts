import { Module, type DynamicModule } from '@nestjs/common';
import type { CheckpointSchedule } from './audit-config.js';
import { AuditKeys, AuditService } from './audit.service.js';
import { CheckpointScheduleSettings } from './checkpoint.scheduler.js';

export interface AuditModuleOptions {
  keys: AuditKeys;
  /** When checkpoints are signed in the background (the API); a CLI needs none. */
  checkpoints?: CheckpointSchedule;
}

/**
 * The audit log's reading, verification and signing. Appends are not here:
 * they happen inside other libraries' transactions (appendAuditEntries). A
 * KnownLedgers in scope (the directory's) makes districts' ledgers exist
 * before their first entry. Global: one audit log per process, with one set
 * of keys, whichever module reads it (the API's resolvers, the change feed).
 */
@Module({})
export class AuditModule {
  static forRoot({ keys, checkpoints }: AuditModuleOptions): DynamicModule {
    const settings = [
      { provide: AuditKeys, useValue: keys },
      ...(checkpoints ? [{ provide: CheckpointScheduleSettings, useValue: new CheckpointScheduleSettings(checkpoints) }] : []),
    ];
    return {
      module: AuditModule,
      global: true,
      providers: [...settings, AuditService],
      exports: [AuditService, ...settings.map((s) => s.provide)],
    };
  }
}
