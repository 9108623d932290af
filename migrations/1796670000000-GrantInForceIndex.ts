import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A department's grants in force are read on every request (its policy).
 * The grantee index ordered by valid_from made that read walk the
 * department's whole history: every grant ever revoked or expired, a few
 * milliseconds per request for a department with 20,000 of them. Indexed by
 * when each grant ends (revocation or expiry, the earlier), "in force at t"
 * is a range that skips them (libs/access, grantEndSql). The new index serves
 * every lookup by grantee the old one did.
 */
export class GrantInForceIndex1796670000000 implements MigrationInterface {
  name = 'GrantInForceIndex1796670000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX permission_grantee_in_force_idx ON permission
        (grantee_department_id, (least(coalesce(revoked_at, 'infinity'::timestamptz), coalesce(expires_at, 'infinity'::timestamptz))))`);
    await q.query(`DROP INDEX permission_grantee_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX permission_grantee_idx ON permission (grantee_department_id, valid_from)`);
    await q.query(`DROP INDEX permission_grantee_in_force_idx`);
  }
}
