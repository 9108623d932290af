import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createAuditedTriggers, GRANT_COLUMNS, REQUIRE_ENTRY } from './1797800000000-AuditedWrites.js';

/**
 * Who is not held to these checks: whoever may TRUNCATE the table (its owner,
 * a member of the owner, a superuser), who could empty it anyway. One rule for
 * the triggers' gate and for the functions behind them.
 */
const mayTruncate = (table: string) => `has_table_privilege(${table}, 'TRUNCATE')`;
const EXEMPT = `IF ${mayTruncate('TG_RELID')} THEN
          RETURN NULL;
        END IF;`;

/**
 * A table's deferred check of its rows' entries (audit_require_entry), for
 * the entry's subject type, the column naming the subject (null: the row's
 * own id) and the columns whose UPDATE counts (null: every one). Evaluated
 * as each row is written, so that the owner's bulk writes (seeds,
 * onboarding) queue no check for commit.
 */
export const auditedTrigger = (
  table: string,
  subject: string,
  subjectColumn: string | null,
  columns: string | null,
  check = 'audit_require_entry',
) => `
        CREATE CONSTRAINT TRIGGER ${table}_audited AFTER INSERT OR UPDATE${columns ? ` OF ${columns}` : ''} OR DELETE ON ${table}
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NOT ${mayTruncate(`'${table}'::regclass`)})
          EXECUTE FUNCTION ${check}('${subject}'${subjectColumn ? `, '${subjectColumn}'` : ''})`;

/**
 * The tables held to an entry: the entry's subject type, the column naming
 * the subject (null: the row's own id), and the columns whose UPDATE counts
 * (null: every one). The first two were AuditedWrites' and are made again.
 */
const HELD = [
  ['permission', 'Permission', null, GRANT_COLUMNS],
  ['exchange', 'Exchange', null, null],
  ['data_file', 'DataFile', null, null],
  ['data_field', 'DataFile', 'file_id', null],
  ['data_version', 'DataFile', 'file_id', null],
  ['permission_review', 'Permission', 'permission_id', null],
] as const;

/**
 * AuditedWrites held grants and exchanges to their audit entries; a file's
 * rows and a grant's reviews were not: a holder of the API role's credentials could reclassify a
 * file (CONFIDENTIAL to PUBLIC makes it discoverable to every department),
 * mark a sensitive field not sensitive, or add, change and delete published
 * records, and every verification still passed. Every write of the services
 * to these tables already appends an entry about the file (file.registered,
 * file.schema_changed, records.published), so the database now requires it:
 *
 * - `data_file`, `data_field` and `data_version`: the deferred check of
 *   AuditedWrites, for the file (subject DataFile). A field or a version names
 *   its file in `file_id`: the check takes, as a second argument, the column
 *   holding the subject's id.
 * - `permission_review`, which holds a grant's fields back after a schema
 *   change until a steward re-approves it: resolving one silently would
 *   release them. Its rows are opened and resolved with an entry about the
 *   grant (permission.review_required, permission.reapproved).
 * - `data_record`, up to 10,000 rows a publication: a row-by-row check at
 *   commit would cost as much as the rows. Records may only be added with the
 *   version they belong to, in the transaction that inserts that version
 *   (which is itself held to its entry, whose payload carries the records'
 *   content hash): one check per statement, over its new rows.
 * - The role loses the rights its services never use: DELETE on the four
 *   tables, UPDATE on versions and records. A published version is now
 *   append-only to the API.
 *
 * Who may TRUNCATE the table (its owner, a member of the owner, a
 * superuser: who could empty it anyway; the API's role may not) is exempt,
 * as owners and superusers were in AuditedWrites (seeds, imports and
 * migrations write as them). Every one of these triggers, AuditedWrites' two
 * included, now asks that first, as the row is written, so that such a
 * writer's rows queue no check for commit; the functions behind them ask the
 * same (a role that does not inherit its owner's rights is now held). Without
 * that, the 136,001 grants of `seed --city`, and with this migration its
 * 750,003 files and their fields, would each be checked at commit only to
 * be let through (about 5 µs a row); the question costs about 0.2 µs a row
 * (the table named by its OID, fixed when the trigger is made). The seeds
 * load 11.9 million fields.
 */
export class AuditedFileWrites1798100000000 implements MigrationInterface {
  name = 'AuditedFileWrites1798100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_require_entry() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        written record;
        row_id text;
      BEGIN
        ${EXEMPT}
        IF TG_OP = 'DELETE' THEN
          written := OLD;
        ELSE
          written := NEW;
        END IF;
        -- The subject is the row itself, or what the column TG_ARGV[1] names (a field's or a version's file).
        IF TG_NARGS > 1 THEN
          row_id := to_jsonb(written) ->> TG_ARGV[1];
        ELSE
          row_id := written.id::text;
        END IF;
        IF NOT EXISTS (
          SELECT 1 FROM audit_entry e
           WHERE e.ledger = (SELECT d.code FROM district d WHERE d.id = written.district_id)
             AND e.subject_type = TG_ARGV[0] AND e.subject_id = row_id
             AND e.xmin = pg_current_xact_id()::xid
        ) THEN
          RAISE EXCEPTION '% % was written without its audit entry in the same transaction', TG_TABLE_NAME, row_id
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER permission_audited ON permission`);
    await q.query(`DROP TRIGGER exchange_audited ON exchange`);
    for (const [table, subject, subjectColumn, columns] of HELD) await q.query(auditedTrigger(table, subject, subjectColumn, columns));
    await q.query(`
      CREATE FUNCTION data_record_with_its_version() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        ${EXEMPT}
        IF EXISTS (
          SELECT 1 FROM added a
           WHERE NOT EXISTS (
             SELECT 1 FROM data_version v
              WHERE v.district_id = a.district_id AND v.file_id = a.file_id AND v.version = a.version
                AND v.xmin = pg_current_xact_id()::xid)
        ) THEN
          RAISE EXCEPTION 'records are added only with the version they belong to, in the transaction that publishes it'
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER data_record_with_its_version AFTER INSERT ON data_record
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION data_record_with_its_version()`);
    await q.query(`REVOKE DELETE ON data_file, data_field, data_version, data_record FROM exchange_app`);
    await q.query(`REVOKE UPDATE ON data_version, data_record FROM exchange_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`GRANT UPDATE ON data_version, data_record TO exchange_app`);
    await q.query(`GRANT DELETE ON data_file, data_field, data_version, data_record TO exchange_app`);
    await q.query(`DROP TRIGGER data_record_with_its_version ON data_record`);
    await q.query(`DROP FUNCTION data_record_with_its_version()`);
    for (const [table] of HELD) await q.query(`DROP TRIGGER ${table}_audited ON ${table}`);
    await q.query(REQUIRE_ENTRY);
    await createAuditedTriggers(q);
  }
}
