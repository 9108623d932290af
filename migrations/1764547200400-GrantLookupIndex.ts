import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Building a caller's policy loads the grants its department held at an
 * instant, revoked ones included (a revocation may lie after that instant):
 * the partial indexes cannot serve that, this one does.
 */
export class GrantLookupIndex1764547200400 implements MigrationInterface {
  name = 'GrantLookupIndex1764547200400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX permission_grantee_idx ON permission (grantee_department_id, valid_from)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX permission_grantee_idx`);
  }
}
