import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GRANT_COLUMNS } from './1797800000000-AuditedWrites.js';
import { auditedTrigger } from './1798100000000-AuditedFileWrites.js';

/**
 * A grant records the file's versions it was last decided on (file_version,
 * schema_version), shown as Permission.fileVersion and schemaVersion. The
 * audited-writes check left those two columns out: an approval that met an
 * identical grant updated them in passing with only the exchange's entry, so
 * the API's role could also rewrite them with none. The service now appends
 * `permission.reapproved` whenever an approval or an extension changes them
 * (GrantService.settleReviews), and the check counts an UPDATE of any column
 * of a grant, these two and any added later, behind the same gate as
 * AuditedFileWrites made it.
 */
export class GrantVersionsAudited1798300000000 implements MigrationInterface {
  name = 'GrantVersionsAudited1798300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER permission_audited ON permission`);
    await q.query(auditedTrigger('permission', 'Permission', null, null));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER permission_audited ON permission`);
    await q.query(auditedTrigger('permission', 'Permission', null, GRANT_COLUMNS));
  }
}
