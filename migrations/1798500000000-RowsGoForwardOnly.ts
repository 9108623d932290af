import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Grants and exchanges only go forward, whatever entry a write brings. The
 * audited-writes check asks that a write to a grant or an exchange has an
 * audit entry about it in its transaction; it cannot tell whether the entry
 * describes the write. A role that may update them could then undo a
 * revocation, or take an exchange back to approved, beside an unrelated
 * entry. These triggers refuse every such change for whoever is not the
 * tables' owner (the same gate as the audited-writes check):
 *
 * - a grant's shape (file or scope, grantee, action, fields, purpose, start,
 *   grantor) never changes, and a revoked grant does not change at all;
 * - an exchange's request never changes; its status goes REQUESTED →
 *   APPROVED or REJECTED → (from APPROVED) DELIVERED; a decision, once made,
 *   and a delivery, once recorded, stay as written.
 */
export class RowsGoForwardOnly1798500000000 implements MigrationInterface {
  name = 'RowsGoForwardOnly1798500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION permission_goes_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.district_id, NEW.id, NEW.file_id, NEW.scope_category, NEW.scope_max_classification, NEW.grantee_department_id,
            NEW.action, NEW.fields, NEW.purpose, NEW.valid_from, NEW.granted_by, NEW.granted_at)
           IS DISTINCT FROM
           (OLD.district_id, OLD.id, OLD.file_id, OLD.scope_category, OLD.scope_max_classification, OLD.grantee_department_id,
            OLD.action, OLD.fields, OLD.purpose, OLD.valid_from, OLD.granted_by, OLD.granted_at) THEN
          RAISE EXCEPTION 'permission %: a grant''s shape does not change; grant again instead', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.revoked_at IS NOT NULL AND ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN
          RAISE EXCEPTION 'permission %: a revoked grant does not change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER permission_goes_forward BEFORE UPDATE ON permission FOR EACH ROW
        WHEN (NOT has_table_privilege('permission'::regclass, 'TRUNCATE')) EXECUTE FUNCTION permission_goes_forward()`);
    await q.query(`
      CREATE FUNCTION exchange_goes_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.district_id, NEW.id, NEW.file_id, NEW.requester_department_id, NEW.requested_by, NEW.fields, NEW.purpose, NEW.requested_at)
           IS DISTINCT FROM
           (OLD.district_id, OLD.id, OLD.file_id, OLD.requester_department_id, OLD.requested_by, OLD.fields, OLD.purpose, OLD.requested_at) THEN
          RAISE EXCEPTION 'exchange %: a request does not change; request again instead', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF ROW(NEW.*) IS NOT DISTINCT FROM ROW(OLD.*) THEN
          RETURN NEW;
        END IF;
        IF NOT ((OLD.status = 'REQUESTED' AND NEW.status IN ('APPROVED', 'REJECTED'))
                OR (OLD.status = 'APPROVED' AND NEW.status = 'DELIVERED'
                    AND (NEW.decided_at, NEW.decided_by, NEW.decision_note, NEW.permission_id, NEW.file_version, NEW.schema_version)
                        IS NOT DISTINCT FROM
                        (OLD.decided_at, OLD.decided_by, OLD.decision_note, OLD.permission_id, OLD.file_version, OLD.schema_version))) THEN
          RAISE EXCEPTION 'exchange %: % to % is not a step forward; a decision or a delivery stays as it was made', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER exchange_goes_forward BEFORE UPDATE ON exchange FOR EACH ROW
        WHEN (NOT has_table_privilege('exchange'::regclass, 'TRUNCATE')) EXECUTE FUNCTION exchange_goes_forward()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER exchange_goes_forward ON exchange`);
    await q.query(`DROP FUNCTION exchange_goes_forward()`);
    await q.query(`DROP TRIGGER permission_goes_forward ON permission`);
    await q.query(`DROP FUNCTION permission_goes_forward()`);
  }
}
