import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The one channel every committed audit entry is announced on; the payload is `{"ledger":…,"seq":…}`. */
export const AUDIT_ENTRY_CHANNEL = 'audit_entry_appended';

/**
 * Every audit entry announces itself: an AFTER INSERT trigger calls
 * pg_notify with its ledger and seq only. NOTIFY is transactional, so a
 * listener hears of an entry only once it is committed, in commit order, and
 * nothing that was rolled back. Readers fetch the entry itself from the log:
 * the announcement carries no data and no access decision.
 */
export class AuditEntryNotify1796000000000 implements MigrationInterface {
  name = 'AuditEntryNotify1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_entry_announce() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM pg_notify('${AUDIT_ENTRY_CHANNEL}', json_build_object('ledger', NEW.ledger, 'seq', NEW.seq)::text);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER audit_entry_announce AFTER INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_announce()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_entry_announce ON audit_entry`);
    await q.query(`DROP FUNCTION audit_entry_announce()`);
  }
}
