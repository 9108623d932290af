import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The columns of a grant that decide what it gives, to whom, until when:
 * every one but file_version and schema_version, which record the file's
 * versions a grant was last decided on (an approval that meets an identical
 * grant updates them in passing, its entry being the exchange's).
 */
export const GRANT_COLUMNS = [
  'district_id',
  'id',
  'file_id',
  'scope_category',
  'scope_max_classification',
  'grantee_department_id',
  'action',
  'fields',
  'purpose',
  'valid_from',
  'expires_at',
  'granted_by',
  'granted_at',
  'revoked_at',
  'revoked_by',
  'revoke_reason',
].join(', ');

/** The check as this migration wrote it (AuditedFileWrites names the subject's column; its way down restores this). */
export const REQUIRE_ENTRY = `
      CREATE OR REPLACE FUNCTION audit_require_entry() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        row_district uuid;
        row_id text;
      BEGIN
        IF pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'MEMBER') THEN
          RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN
          row_district := OLD.district_id;
          row_id := OLD.id::text;
        ELSE
          row_district := NEW.district_id;
          row_id := NEW.id::text;
        END IF;
        IF NOT EXISTS (
          SELECT 1 FROM audit_entry e
           WHERE e.ledger = (SELECT d.code FROM district d WHERE d.id = row_district)
             AND e.subject_type = TG_ARGV[0] AND e.subject_id = row_id
             AND e.xmin = pg_current_xact_id()::xid
        ) THEN
          RAISE EXCEPTION '% % was written without its audit entry in the same transaction', TG_TABLE_NAME, row_id
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
      END $$`;

/** This migration's two triggers (AuditedFileWrites' way down makes them again). */
export async function createAuditedTriggers(q: QueryRunner): Promise<void> {
  for (const [table, subject, columns] of [
    ['permission', 'Permission', ` OF ${GRANT_COLUMNS}`],
    ['exchange', 'Exchange', ''],
  ]) {
    await q.query(`
      CREATE CONSTRAINT TRIGGER ${table}_audited AFTER INSERT OR UPDATE${columns} OR DELETE ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_require_entry('${subject}')`);
  }
}

/**
 * A grant or an exchange changed by the application's role must be recorded
 * in the audit log by the same transaction. Every write of the services does
 * so; the database now refuses, at commit, one that did not: a deferred
 * constraint trigger on `permission` and `exchange` looks, for each row
 * written, for an entry of the row's district's ledger about that row
 * (subject Permission or Exchange, its id) that this transaction appended
 * (its xmin is the transaction's id: the services use no savepoints). Before,
 * the role's INSERT and UPDATE rights let anyone holding its credentials
 * un-revoke a grant or add one, and every verification still passed.
 *
 * Roles that own the tables (or are superusers) are not held to it: they can
 * switch triggers off anyway, and the seeds, migrations and tests write
 * through them. The check runs as the caller (not SECURITY DEFINER), so
 * `SET ROLE exchange_app` is held to it as a login of that role is.
 */
export class AuditedWrites1797800000000 implements MigrationInterface {
  name = 'AuditedWrites1797800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(REQUIRE_ENTRY);
    await createAuditedTriggers(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER exchange_audited ON exchange`);
    await q.query(`DROP TRIGGER permission_audited ON permission`);
    await q.query(`DROP FUNCTION audit_require_entry()`);
  }
}
