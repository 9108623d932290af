import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version of the grants each department holds in each district: a random
 * token, replaced in the same transaction as any change to one of them (a
 * grant, a revocation, an extension, a review opened or resolved, a delete).
 * Every request decides its caller's policy; with the version, "are the
 * department's grants still the ones its kept rules were built from?" reads
 * one row per district the department holds grants in, where before it
 * read every grant it holds (800 for a district's health commission) and
 * probed each one's reviews.
 *
 * Written by statement triggers only: they see every write (the service's,
 * COPY's, a migration's, a cascade from a deleted file), and the function
 * runs as its owner so that the API's role may read the versions but not set
 * one. A token is random, never a counter: a failover that loses commits or
 * a restore cannot hand an old token to new content. Rows are keyed by
 * district like the grants they version, so that under Citus they sit, and
 * are written, on the grant's own shard.
 *
 * The time a grant starts, ends, or a review opens or is resolved is not a
 * write; the reader keeps rules only until the next such instant of the
 * grants they were built from (libs/access, grantsHeldTagged).
 */
export class GrantsHeldVersion1797100000000 implements MigrationInterface {
  name = 'GrantsHeldVersion1797100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE permission_grantee_version (
        grantee_department_id uuid NOT NULL REFERENCES department(id),
        district_id uuid NOT NULL REFERENCES district(id),
        version uuid NOT NULL,
        PRIMARY KEY (grantee_department_id, district_id)
      )`);
    await q.query(`GRANT SELECT ON permission_grantee_version TO exchange_app`);
    for (const [table, grantee] of [
      ['permission', 'c.grantee_department_id'],
      // A review names its grant; its grantee is the grant's (a review deleted with its grant: the grant's delete bumped it).
      ['permission_review', `(SELECT p.grantee_department_id FROM permission p WHERE p.district_id = c.district_id AND p.id = c.permission_id)`],
    ]) {
      for (const [event, rows] of [
        ['INSERT', 'NEW TABLE AS changed'],
        ['UPDATE', 'OLD TABLE AS before NEW TABLE AS changed'],
        ['DELETE', 'OLD TABLE AS changed'],
      ]) {
        const fn = `${table}_${event.toLowerCase()}_bumps_grantee`;
        // An update may move a grant to another grantee or district (the owner could): both versions change.
        const changed = event === 'UPDATE' ? '(SELECT * FROM changed UNION ALL SELECT * FROM before)' : 'changed';
        await q.query(`
          CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
          BEGIN
            ${bump(`SELECT ${grantee}, c.district_id FROM ${changed} c`)};
            RETURN NULL;
          END $$`);
        await q.query(`CREATE TRIGGER ${fn} AFTER ${event} ON ${table} REFERENCING ${rows} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
      }
      // Emptied: no department holds the grants its versions named; a reader that kept rules sees its tag change.
      await q.query(`
        CREATE FUNCTION ${table}_truncate_bumps_grantee() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          UPDATE permission_grantee_version SET version = gen_random_uuid();
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE TRIGGER ${table}_truncate_bumps_grantee AFTER TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION ${table}_truncate_bumps_grantee()`);
    }
    await q.query(bump(`SELECT grantee_department_id, district_id FROM permission`));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['permission', 'permission_review']) {
      for (const event of ['insert', 'update', 'delete', 'truncate']) {
        await q.query(`DROP TRIGGER ${table}_${event}_bumps_grantee ON ${table}`);
        await q.query(`DROP FUNCTION ${table}_${event}_bumps_grantee()`);
      }
    }
    await q.query(`DROP TABLE permission_grantee_version`);
  }
}

/**
 * A new version for each (grantee, district) pair the query names; in a fixed
 * order, so that two statements changing the same departments' grants lock
 * their versions alike.
 */
const bump = (pairs: string) => `
  INSERT INTO permission_grantee_version AS v (grantee_department_id, district_id, version)
  SELECT grantee, district, gen_random_uuid()
    FROM (SELECT DISTINCT grantee, district FROM (${pairs}) AS changed(grantee, district) WHERE grantee IS NOT NULL) c
   ORDER BY grantee, district
  ON CONFLICT (grantee_department_id, district_id) DO UPDATE SET version = excluded.version`;
