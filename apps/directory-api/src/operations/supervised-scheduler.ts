import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { CheckpointScheduler } from '@app/audit';

/**
 * The checkpoint scheduler, observed: readiness reads when its last run ended,
 * and shutdown waits for a run in progress instead of cutting it off.
 */
@Injectable()
export class SupervisedCheckpointScheduler extends CheckpointScheduler implements BeforeApplicationShutdown {
  readonly startedAt = Date.now();
  /** When the last run ended (successful or not: a failure is logged by the scheduler). */
  lastRunAt?: number;
  private current?: Promise<void>;

  override async run(): Promise<void> {
    const run = super.run();
    this.current ??= run;
    try {
      await run;
      this.lastRunAt = Date.now();
    } finally {
      if (this.current === run) this.current = undefined;
    }
  }

  /** Called before the pool closes: no new run starts, the current one finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.onApplicationShutdown();
    await this.current;
  }
}
