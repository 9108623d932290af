import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The approval's gate (permission_same_in_force, see ApprovalGrantGate) looks
 * for an identical grant in force with the in-force condition written as the
 * grantee's in-force index holds it (GrantInForceIndex: the earlier of
 * revocation and expiry, infinity for neither, after the instant), which is
 * the same condition as "not expired and not revoked by then". The grantee's
 * grants in force are then one range of that index, where before every grant
 * ever made on the file (the revoked and expired ones of each past exchange
 * included) was read and filtered. Lock, snapshot and answer are unchanged.
 */
export class SameGrantByInForceIndex1796900000000 implements MigrationInterface {
  name = 'SameGrantByInForceIndex1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(gate(`least(coalesce(p.revoked_at, 'infinity'::timestamptz), coalesce(p.expires_at, 'infinity'::timestamptz)) > t`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(gate(`(p.expires_at IS NULL OR p.expires_at > t) AND (p.revoked_at IS NULL OR p.revoked_at > t)`));
  }
}

const gate = (inForce: string) => `
  CREATE OR REPLACE FUNCTION permission_same_in_force(
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
         AND p.valid_from <= t AND ${inForce});
  END $$`;
