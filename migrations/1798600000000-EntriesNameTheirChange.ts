import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditedTrigger } from './1798100000000-AuditedFileWrites.js';

/**
 * A grant's or an exchange's write needs the entry that names it, not just
 * any entry about the row. The audited-writes check (AuditedWrites,
 * GrantVersionsAudited) accepted any entry about the row in the transaction,
 * so the API's role could revoke a grant, or mark an exchange delivered,
 * beside an entry that said something else (an expiry notice); going
 * backwards is refused by RowsGoForwardOnly. Now, at commit, each write
 * needs the entries its change names, in the row's district's ledger:
 *
 * - a grant inserted: permission.granted; revoked: permission.revoked; its
 *   expiry moved: permission.extended; the file versions it was decided on
 *   moved: permission.reapproved;
 * - an exchange inserted: exchange.requested (and exchange.approved when it
 *   is approved at once); its status moved: exchange.<the new status>.
 *
 * A write that changes none of these still needs some entry about the row,
 * as before. The owner is exempt, as before.
 */
export class EntriesNameTheirChange1798600000000 implements MigrationInterface {
  name = 'EntriesNameTheirChange1798600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_require_named_entry() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        written record;
        needed text[] := '{}';
        wanted text;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          written := OLD;
        ELSE
          written := NEW;
        END IF;
        IF TG_TABLE_NAME = 'permission' THEN
          IF TG_OP = 'INSERT' THEN
            needed := ARRAY['permission.granted'];
          ELSIF TG_OP = 'UPDATE' THEN
            IF (OLD.revoked_at, OLD.revoked_by, OLD.revoke_reason) IS DISTINCT FROM (NEW.revoked_at, NEW.revoked_by, NEW.revoke_reason) THEN
              needed := needed || 'permission.revoked'::text;
            END IF;
            IF OLD.expires_at IS DISTINCT FROM NEW.expires_at THEN
              needed := needed || 'permission.extended'::text;
            END IF;
            IF (OLD.file_version, OLD.schema_version) IS DISTINCT FROM (NEW.file_version, NEW.schema_version) THEN
              needed := needed || 'permission.reapproved'::text;
            END IF;
          END IF;
        ELSIF TG_TABLE_NAME = 'exchange' THEN
          IF TG_OP = 'INSERT' THEN
            needed := ARRAY['exchange.requested'];
            IF NEW.status <> 'REQUESTED' THEN
              needed := needed || ('exchange.' || lower(NEW.status));
            END IF;
          ELSIF TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status THEN
            needed := ARRAY['exchange.' || lower(NEW.status)];
          END IF;
        END IF;
        -- A write that names no change still needs an entry about its row (NULL: any action).
        FOREACH wanted IN ARRAY CASE WHEN cardinality(needed) = 0 THEN ARRAY[NULL::text] ELSE needed END LOOP
          IF NOT EXISTS (
            SELECT 1 FROM audit_entry e
             WHERE e.ledger = (SELECT d.code FROM district d WHERE d.id = written.district_id)
               AND e.subject_type = TG_ARGV[0] AND e.subject_id = written.id::text
               AND (wanted IS NULL OR e.action = wanted)
               AND e.xmin = pg_current_xact_id()::xid
          ) THEN
            RAISE EXCEPTION '% % was written without its audit entry in the same transaction%', TG_TABLE_NAME, written.id,
              CASE WHEN wanted IS NULL THEN '' ELSE format(' (%s)', wanted) END
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
        END LOOP;
        RETURN NULL;
      END $$`);
    for (const [table, subject] of NAMED) {
      await q.query(`DROP TRIGGER ${table}_audited ON ${table}`);
      await q.query(auditedTrigger(table, subject, null, null, 'audit_require_named_entry'));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, subject] of NAMED) {
      await q.query(`DROP TRIGGER ${table}_audited ON ${table}`);
      await q.query(auditedTrigger(table, subject, null, null));
    }
    await q.query(`DROP FUNCTION audit_require_named_entry()`);
  }
}

const NAMED = [
  ['permission', 'Permission'],
  ['exchange', 'Exchange'],
] as const;
