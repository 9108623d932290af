import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_ENTRY_CHANNEL } from './1796000000000-AuditEntryNotify.js';

/**
 * Audit entries no longer announce themselves with pg_notify: the change feed
 * polls the ledgers' heads instead (libs/events, AuditFeedListener).
 *
 * PostgreSQL commits the transactions that notify one at a time: each takes a
 * database-wide lock before its commit and holds it through its WAL flush, so
 * that notifications queue in commit order. With a notification in every
 * audited write, every write of the service waited for that lock; measured on
 * 16 ledgers, appends ran at half the rate they reach without it. Reading each
 * ledger's head costs the feed one index probe per ledger a tick, and no
 * writer anything.
 */
export class AuditFeedPollsHeads1796660000000 implements MigrationInterface {
  name = 'AuditFeedPollsHeads1796660000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_entry_announce ON audit_entry`);
    await q.query(`DROP FUNCTION audit_entry_announce()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_entry_announce() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM pg_notify('${AUDIT_ENTRY_CHANNEL}', json_build_object('ledger', NEW.ledger, 'seq', NEW.seq)::text);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER audit_entry_announce AFTER INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_announce()`);
  }
}
