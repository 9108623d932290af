import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every request decides its caller's policy with one prepared statement
 * (grantsHeldChanged), which reads the department's grants not ended at the
 * request's instant when they changed. Its generic plan cannot know the
 * instant, so PostgreSQL estimated "not ended at $1" as a third of a
 * department's grants, history included: once departments held some
 * thousands of revoked grants (one per past exchange), the generic plan was
 * priced far above a custom one (628 against 14) and PostgreSQL planned the
 * statement again at every request, 1.7 ms of planning for 0.1 ms of work.
 * Read through this function, the grants are a set of a declared size that
 * no history changes, so the statement keeps its generic plan; the
 * function's own query is planned with the instant known. PL/pgSQL: never
 * inlined (which would bring the estimate back), and its query's plan is
 * kept per session, where a SQL function's was made again at every call.
 */
export class GrantsNotEndedFunction1797700000000 implements MigrationInterface {
  name = 'GrantsNotEndedFunction1797700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION grants_not_ended(p_grantee uuid, p_at timestamptz) RETURNS SETOF permission
        LANGUAGE plpgsql STABLE STRICT ROWS 100 AS $$
        BEGIN
          RETURN QUERY SELECT * FROM permission p
           WHERE p.grantee_department_id = p_grantee
             AND least(coalesce(p.revoked_at, 'infinity'::timestamptz), coalesce(p.expires_at, 'infinity'::timestamptz)) > p_at;
        END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION grants_not_ended(uuid, timestamptz)`);
  }
}
