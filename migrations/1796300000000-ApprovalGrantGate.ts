import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An approval writes its exchange, its grant and their audit entries in one
 * statement, and must still never make a second grant where an identical one
 * (same file, grantee, action, fields and purpose) is in force: what the
 * service's grants guarantee with a transaction-scoped lock on the grant's
 * shape, taken before they look for the same grant.
 *
 * In one statement the lock alone is not enough: the statement's snapshot is
 * taken before the lock is granted, so it would not see a grant that the
 * holder committed meanwhile. This function takes the same lock (the key the
 * service uses: `grant:<district>:<file>:<grantee>`) and then looks, and being
 * VOLATILE it looks with a snapshot of its own, taken after the lock; the
 * time is the clock's, not the statement's start. The lock is held until the
 * statement's transaction ends, so that the grant the caller then inserts is
 * committed before anyone else of that shape looks.
 */
export class ApprovalGrantGate1796300000000 implements MigrationInterface {
  name = 'ApprovalGrantGate1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION permission_same_in_force(
          p_district uuid, p_file uuid, p_grantee uuid, p_action text, p_fields text[], p_purpose text)
        RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
      DECLARE
        t timestamptz := clock_timestamp();
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('grant:' || p_district || ':' || p_file || ':' || p_grantee, 0));
        RETURN EXISTS (
          SELECT 1 FROM permission p
           WHERE p.district_id = p_district AND p.file_id = p_file AND p.scope_category IS NULL
             AND p.grantee_department_id = p_grantee AND p.action = p_action
             AND p.fields IS NOT DISTINCT FROM p_fields AND p.purpose = p_purpose
             AND p.valid_from <= t AND (p.expires_at IS NULL OR p.expires_at > t) AND (p.revoked_at IS NULL OR p.revoked_at > t));
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION permission_same_in_force(uuid, uuid, uuid, text, text[], text)`);
  }
}
