import { Injectable, Module } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SqlParams } from '@app/common';
import { appendAuditEntries, auditAppendSql } from './audit-append.js';
import type { AuditEntryData, AuditEvent } from './hash-chain.js';

/**
 * How the business libraries record what they did: a batch of events of one
 * ledger, appended last in their transaction. Injected, so that a service
 * says in its constructor that it writes to the log.
 */
@Injectable()
export class AuditLog {
  append(tx: EntityManager, events: AuditEvent[]): Promise<AuditEntryData[]> {
    return appendAuditEntries(tx, events);
  }

  /**
   * The append as a FROM item of the caller's own statement (rows seq,
   * prev_hash, hash), for a step that checks, writes and audits in one
   * statement; see auditAppendSql.
   */
  inStatement(events: AuditEvent[], params: SqlParams): string {
    return auditAppendSql(events, params);
  }
}

/** The append alone: what the directory, access and exchange modules import. */
@Module({ providers: [AuditLog], exports: [AuditLog] })
export class AuditLogModule {}
