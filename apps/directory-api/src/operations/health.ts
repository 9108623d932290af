import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { CheckpointScheduler } from '@app/audit';
import { migrations } from '../../../../migrations/index.js';
import { SupervisedCheckpointScheduler } from './supervised-scheduler.js';

export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready' } as const;

/** A scheduler that has not finished a run for this long is stuck (it ticks every few seconds). */
export const CHECKPOINT_STALE_MS = 60_000;
const PING_TIMEOUT_MS = 2_000;

/** What `/health/ready` checks: the database answers, every migration ran, checkpoints are being signed. */
@Injectable()
export class HealthChecks {
  private readonly expectedMigrations = migrations.map((m) => m.name);
  private shuttingDown = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly typeorm: TypeOrmHealthIndicator,
    @InjectDataSource() private readonly db: DataSource,
    private readonly modules: ModuleRef,
  ) {}

  /** Readiness goes red as soon as shutdown begins, so that balancers stop sending. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => (this.shuttingDown ? this.indicators.check('process').down('shutting down') : this.indicators.check('process').up()),
      () => this.typeorm.pingCheck('database', { connection: this.db }).withTimeout(PING_TIMEOUT_MS),
      () => this.migrations(),
      () => this.checkpoints(),
    ]);
  }

  private async migrations() {
    const check = this.indicators.check('migrations');
    try {
      const rows = await this.db.query<{ name: string }[]>('SELECT name FROM schema_migration');
      const applied = new Set(rows.map((r) => r.name));
      const pending = this.expectedMigrations.filter((name) => !applied.has(name));
      return pending.length ? check.down({ pending }) : check.up({ applied: this.expectedMigrations.length });
    } catch {
      return check.down('the migrations table could not be read');
    }
  }

  /** Provided by the app module only when checkpoints are scheduled. */
  private scheduler(): SupervisedCheckpointScheduler | undefined {
    try {
      const found = this.modules.get(CheckpointScheduler, { strict: false });
      return found instanceof SupervisedCheckpointScheduler ? found : undefined;
    } catch {
      return undefined;
    }
  }

  private checkpoints() {
    const check = this.indicators.check('checkpoints');
    const scheduler = this.scheduler();
    if (!scheduler) return check.up({ scheduled: false });
    const ageMs = Date.now() - (scheduler.lastRunAt ?? scheduler.startedAt);
    const lastRun = scheduler.lastRunAt ? new Date(scheduler.lastRunAt).toISOString() : null;
    return ageMs > CHECKPOINT_STALE_MS
      ? check.down({ lastRun, message: `no checkpoint run for ${Math.round(ageMs / 1000)} s` })
      : check.up({ lastRun });
  }
}

/** Plain Fastify routes: no token, no GraphQL guard, not rate limited (see bootstrap.ts). */
export function serveHealth(fastify: FastifyInstance, checks: HealthChecks): void {
  const answer = async (run: () => Promise<HealthCheckResult>) => {
    try {
      return { status: 200, body: await run() };
    } catch (error) {
      if (error instanceof ServiceUnavailableException) return { status: 503, body: error.getResponse() };
      throw error;
    }
  };
  for (const [kind, path] of Object.entries(HEALTH_PATHS)) {
    fastify.get(path, async (_request, reply) => {
      const { status, body } = await answer(() => (kind === 'live' ? checks.live() : checks.ready()));
      return reply.code(status).header('cache-control', 'no-store').send(body);
    });
  }
}
