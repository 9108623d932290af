import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The change feed reads a few actions of each ledger from a position
 * (libs/events FEED_ACTIONS). This partial index holds only their entries, so
 * that reading a feed from the beginning skips the many entries of other
 * actions. A feed action added later and missing here is still read, only
 * without this index (add a migration that rebuilds it).
 */
export class AuditEntryFeedIndex1796000000100 implements MigrationInterface {
  name = 'AuditEntryFeedIndex1796000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX audit_entry_feed_idx ON audit_entry (ledger, seq)
       WHERE action IN ('records.published', 'file.schema_changed', 'permission.revoked', 'permission.expiring',
                        'exchange.requested', 'exchange.approved', 'exchange.rejected', 'exchange.delivered')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_entry_feed_idx`);
  }
}
