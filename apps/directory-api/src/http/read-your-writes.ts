import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { announceWrite, listenForWrites } from '@app/database';

/**
 * Which departments wrote recently, so that their reads stay on the primary
 * and see their own writes while a replica may still be replaying them. A
 * department is marked when one of its mutations starts (its reads running at
 * the same time go to the primary) and again when it ends (the window counts
 * from the commit); `WriteNotices` tells the other API processes, so the rule
 * holds whichever instance the department's next request reaches.
 */
export class RecentWriters {
  private readonly until = new Map<string, number>();
  /** Everyone reads from the primary until then: while this process cannot hear the others' writes, and a window after. */
  private everyoneUntil = 0;
  /** Set by WriteNotices: tells the other processes. */
  announce: (department: string) => Promise<void> = async () => {};

  constructor(private readonly windowMs: number) {}

  mark(department: string, now = Date.now()): void {
    this.until.set(department, now + this.windowMs);
    // Forget expired entries now and then; the map holds about the departments that wrote within the window.
    if (this.until.size % 64 === 0) for (const [key, end] of this.until) if (end <= now) this.until.delete(key);
  }

  /** A mutation of the department has ended: marked here, then announced to every process before its answer leaves. */
  async wrote(department: string): Promise<void> {
    this.mark(department);
    await this.announce(department);
  }

  deaf(deaf: boolean, now = Date.now()): void {
    this.everyoneUntil = deaf ? Infinity : now + this.windowMs;
  }

  wroteRecently(department: string, now = Date.now()): boolean {
    if (now < this.everyoneUntil) return true;
    const end = this.until.get(department);
    return end !== undefined && end > now;
  }
}

/**
 * With read replicas: this process announces its departments' writes on the
 * primary (NOTIFY) and hears every process's (LISTEN, one connection), so a
 * department that wrote through one instance reads from the primary through
 * all of them. While the listening connection is lost, every department reads
 * from the primary.
 */
@Injectable()
export class WriteNotices implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WriteNotices');
  private stop: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly writers: RecentWriters,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { url } = this.db.options as { url: string };
    this.stop = await listenForWrites(url, {
      heard: (department) => this.writers.mark(department),
      deaf: (deaf, error) => {
        this.writers.deaf(deaf);
        if (deaf)
          this.logger.warn(
            `lost the connection that hears other instances' writes (${error?.message ?? 'closed'}); reading from the primary until it is back`,
          );
      },
    });
    this.writers.announce = (department) => announceWrite(this.db, department);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop?.();
  }
}
