import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService } from './audit.service.js';
import type { CheckpointSchedule } from './audit-config.js';

export class CheckpointScheduleSettings {
  constructor(readonly schedule: CheckpointSchedule) {}
}

/**
 * Signs checkpoints in the background: a ledger that grew by `everyEntries`
 * is checkpointed within a few seconds, one that grew at all within
 * `everySeconds`. Replicas may all run it; a checkpoint of a size that
 * exists already is not written twice.
 */
@Injectable()
export class CheckpointScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Checkpoints');
  private timer?: NodeJS.Timeout;
  // The first tick signs every ledger that has grown since its last checkpoint.
  private lastFull = 0;
  private running = false;

  constructor(
    private readonly audit: AuditService,
    private readonly settings: CheckpointScheduleSettings,
  ) {}

  onApplicationBootstrap(): void {
    const tick = Math.min(5, this.settings.schedule.everySeconds) * 1000;
    this.timer = setInterval(() => void this.run(), tick);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const due = Date.now() - this.lastFull >= this.settings.schedule.everySeconds * 1000;
      await this.audit.checkpointGrownLedgers(due ? 1 : this.settings.schedule.everyEntries);
      if (due) this.lastFull = Date.now();
    } catch (error) {
      this.logger.error(`checkpointing failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
