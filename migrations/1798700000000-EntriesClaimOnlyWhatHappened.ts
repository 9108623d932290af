import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The other way round from EntriesNameTheirChange: an entry that says a
 * grant was revoked, or an exchange requested, approved, rejected or
 * delivered, must come with that change, written by the same transaction.
 * Otherwise the API's role could append `permission.revoked` for a grant
 * that stays in force, and the log would tell auditors and the grantee a
 * revocation that never happened. Checked at commit (the services append an
 * entry after or before its row, in one transaction); the owner is exempt,
 * as everywhere. Grants' other entries are left alone: an approval that
 * reuses an identical grant appends `permission.granted` or
 * `permission.extended` about a grant it may not need to write.
 */
/**
 * Who appends: entries are inserted by audit_seal_insert, a SECURITY DEFINER
 * function, so current_user is the owner there; the caller is the role set
 * by SET ROLE, else the session's.
 */
const CALLER = `(CASE WHEN current_setting('role') = 'none' THEN session_user ELSE current_setting('role') END)`;

export class EntriesClaimOnlyWhatHappened1798700000000 implements MigrationInterface {
  name = 'EntriesClaimOnlyWhatHappened1798700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_entry_happened() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        row_id uuid;
        happened boolean;
      BEGIN
        IF NEW.subject_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
          happened := false;
        ELSE
          row_id := NEW.subject_id::uuid;
          IF NEW.action = 'permission.revoked' THEN
            SELECT EXISTS (SELECT 1 FROM permission p WHERE p.district_id = NEW.district_id AND p.id = row_id
                             AND p.revoked_at IS NOT NULL AND p.xmin = pg_current_xact_id()::xid) INTO happened;
          ELSE
            SELECT EXISTS (SELECT 1 FROM exchange x WHERE x.district_id = NEW.district_id AND x.id = row_id
                             AND (NEW.action = 'exchange.requested' OR x.status = upper(substr(NEW.action, length('exchange.') + 1)))
                             AND x.xmin = pg_current_xact_id()::xid) INTO happened;
          END IF;
        END IF;
        IF NOT happened THEN
          RAISE EXCEPTION 'audit entry %/% says % of % %, which this transaction did not write', NEW.ledger, NEW.seq, NEW.action,
            NEW.subject_type, NEW.subject_id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER audit_entry_happened AFTER INSERT ON audit_entry DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.action IN ('permission.revoked', 'exchange.requested', 'exchange.approved', 'exchange.rejected', 'exchange.delivered')
              AND NOT has_table_privilege(${CALLER}, 'audit_entry'::regclass, 'TRUNCATE'))
        EXECUTE FUNCTION audit_entry_happened()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_entry_happened ON audit_entry`);
    await q.query(`DROP FUNCTION audit_entry_happened()`);
  }
}
