import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GRANT_COLUMNS } from './1797800000000-AuditedWrites.js';

/** The held grant's trigger, counting the UPDATE of `columns` (every column when omitted), as AuditedFileWrites gates it. */
const permissionAudited = (columns?: string) => `
  CREATE CONSTRAINT TRIGGER permission_audited AFTER INSERT OR UPDATE${columns ? ` OF ${columns}` : ''} OR DELETE ON permission
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NOT has_table_privilege('permission'::regclass, 'TRUNCATE'))
    EXECUTE FUNCTION audit_require_entry('Permission')`;

/**
 * A grant records the file's versions it was last decided on (file_version,
 * schema_version), shown as Permission.fileVersion and schemaVersion. The
 * audited-writes check left those two columns out: an approval that met an
 * identical grant updated them in passing with only the exchange's entry, so
 * the API's role could also rewrite them with none. The service now appends
 * `permission.reapproved` whenever an approval or an extension changes them
 * (GrantService.settleReviews), and the check counts an UPDATE of any column
 * of a grant, these two and any added later.
 */
export class GrantVersionsAudited1798300000000 implements MigrationInterface {
  name = 'GrantVersionsAudited1798300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER permission_audited ON permission`);
    await q.query(permissionAudited());
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER permission_audited ON permission`);
    await q.query(permissionAudited(GRANT_COLUMNS));
  }
}
