import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GrantService, type GrantRow } from '@app/access';
import { AuditLog, AuditService } from '@app/audit';

/** A grant expiring within this many days is announced (once per expiry: an extension announces again). */
export const EXPIRY_NOTICE_DAYS = 7;
const EXPIRY_NOTICE_ACTOR = 'service:expiry-notices';
/** Grants announced per run at most; the next run goes on. */
const NOTICES_PER_RUN = 500;
const RUN_EVERY_MS = 60_000;

/**
 * Writes a `permission.expiring` audit entry for each grant that will expire
 * within EXPIRY_NOTICE_DAYS, so that the change feed, which only ever reads
 * the audit log, can tell its holder and its owner. Every replica may run it:
 * a transaction-scoped lock per grant and a look at the grant's latest entry
 * make one notice per grant and expiry however many run at once.
 */
@Injectable()
export class ExpiryNotices implements OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryNotices');
  /** Notices this process knows are written (grant id → expiry), so that a run does not look them up again. */
  private readonly announced = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly grants: GrantService,
    private readonly audit: AuditService,
    private readonly log: AuditLog,
  ) {}

  /** Runs every minute from now on (the service; tests call announce() themselves). */
  schedule(): void {
    this.timer ??= setInterval(() => {
      if (!this.running) this.running = this.announce().finally(() => (this.running = null));
      this.running.catch((error: Error) => this.logger.warn(`announcing expiring grants failed: ${error.message}`));
    }, RUN_EVERY_MS);
    this.timer.unref();
  }

  /** Announces every grant expiring within the window that was not announced for its current expiry; returns how many it wrote. */
  async announce(now = new Date(), days = EXPIRY_NOTICE_DAYS): Promise<number> {
    const expiring = await this.grants.expiringBetween(now, new Date(now.getTime() + days * 86_400_000), NOTICES_PER_RUN);
    let written = 0;
    for (const grant of expiring) {
      if (this.announced.get(grant.id) === grant.expiresAt!.getTime()) continue;
      if (await this.announceOne(grant, days)) written++;
      this.announced.set(grant.id, grant.expiresAt!.getTime());
    }
    return written;
  }

  private announceOne(grant: GrantRow, days: number): Promise<boolean> {
    const expiresAt = grant.expiresAt!.toISOString();
    return this.db.transaction(async (tx) => {
      // Two replicas announcing the same grant: the second waits here, then finds the first one's notice.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`expiry-notice:${grant.id}`]);
      const latest = await this.audit.latestAbout(grant.districtCode, 'Permission', grant.id, tx);
      if (latest?.action === 'permission.expiring' && (latest.payload as { expiresAt?: unknown }).expiresAt === expiresAt) return false;
      await this.log.append(tx, [
        {
          ledger: grant.districtCode,
          actor: EXPIRY_NOTICE_ACTOR,
          action: 'permission.expiring',
          subjectType: 'Permission',
          subjectId: grant.id,
          parties: [grant.ownerCode, grant.granteeCode].filter((c): c is string => c !== null),
          payload: { fileId: grant.fileId, expiresAt, withinDays: days },
        },
      ]);
      return true;
    });
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
