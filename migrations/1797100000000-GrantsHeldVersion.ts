import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version of the grants each department holds in each district: a random
 * token, replaced by any transaction that changes one of them (a grant, a
 * revocation, an extension, a review opened or resolved, a delete) when it
 * commits. Every request decides its caller's policy; with the version, "are
 * the department's grants still the ones its kept rules were built from?"
 * reads one row per district the department holds grants in, where before it
 * read every grant it holds (800 for a district's health commission) and
 * probed each one's reviews.
 *
 * Written by triggers only: they see every write (the service's, COPY's, a
 * migration's, a cascade from a deleted file), and the functions run as
 * their owner so that the API's role may read the versions but not set one.
 * A token is random, never a counter: a failover that loses commits or a
 * restore cannot hand an old token to new content. Rows are keyed by
 * district like the grants they version.
 *
 * The triggers are deferred to the commit. A transaction then takes a
 * version's row lock last, after any ledger lock its audit entries took, so
 * that a grant and its entry written in two statements (row, then ledger)
 * and a revocation written with its entry in one (ledger, then row) cannot
 * wait for each other. A version is replaced once per transaction, however
 * many of the department's grants it writes (a bulk load's).
 *
 * The time a grant starts, ends, or a review opens or is resolved is not a
 * write; the reader keeps rules only until the next such instant of the
 * grants they were built from (libs/access, grantsHeldChanged).
 */
export class GrantsHeldVersion1797100000000 implements MigrationInterface {
  name = 'GrantsHeldVersion1797100000000';

  async up(q: QueryRunner): Promise<void> {
    // A department or district removed (a district's migration reverted) takes its versions with it.
    await q.query(`
      CREATE TABLE permission_grantee_version (
        grantee_department_id uuid NOT NULL REFERENCES department(id) ON DELETE CASCADE,
        district_id uuid NOT NULL REFERENCES district(id) ON DELETE CASCADE,
        version uuid NOT NULL,
        PRIMARY KEY (grantee_department_id, district_id)
      )`);
    await q.query(`GRANT SELECT ON permission_grantee_version TO exchange_app`);
    // A new version, unless this transaction made one already (a bulk load's rows: one probe each); none for a
    // department removed in the meantime. In plpgsql, whose statements keep their plans for the session.
    await q.query(`
      CREATE FUNCTION permission_grantee_bump(p_grantee uuid, p_district uuid) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM FROM permission_grantee_version v
          WHERE v.grantee_department_id = p_grantee AND v.district_id = p_district AND v.xmin = pg_current_xact_id()::xid;
        IF FOUND THEN
          RETURN;
        END IF;
        INSERT INTO permission_grantee_version AS v (grantee_department_id, district_id, version)
        SELECT d.id, di.id, gen_random_uuid() FROM department d, district di WHERE d.id = p_grantee AND di.id = p_district
        ON CONFLICT (grantee_department_id, district_id) DO UPDATE SET version = excluded.version;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION permission_grantee_bump(uuid, uuid) FROM PUBLIC`);
    // An update may move a grant to another grantee or district (the owner could): both versions change.
    await q.query(
      bumpsVersions('permission_bumps_grantee', (row) => `PERFORM permission_grantee_bump(${row}.grantee_department_id, ${row}.district_id)`),
    );
    // A review names its grant; its grantee is the grant's (a review deleted with its grant: the grant's delete bumped it).
    await q.query(
      bumpsVersions(
        'permission_review_bumps_grantee',
        (row) => `PERFORM permission_grantee_bump(p.grantee_department_id, p.district_id)
                    FROM permission p WHERE p.district_id = ${row}.district_id AND p.id = ${row}.permission_id`,
      ),
    );
    // Emptied: no department holds the grants its versions named; a reader that kept rules sees its tag change.
    await q.query(truncateBumpsAll('permission_truncate_bumps_grantees', 'permission_grantee_version'));
    for (const table of ['permission', 'permission_review']) {
      await q.query(`
        CREATE CONSTRAINT TRIGGER ${table}_bumps_grantee AFTER INSERT OR UPDATE OR DELETE ON ${table}
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${table}_bumps_grantee()`);
      await q.query(`
        CREATE TRIGGER ${table}_truncate_bumps_grantees AFTER TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION permission_truncate_bumps_grantees()`);
    }
    await q.query(`
      INSERT INTO permission_grantee_version (grantee_department_id, district_id, version)
      SELECT grantee, district, gen_random_uuid()
        FROM (SELECT DISTINCT grantee_department_id AS grantee, district_id AS district FROM permission) held`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['permission', 'permission_review']) {
      await q.query(`DROP TRIGGER ${table}_truncate_bumps_grantees ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_bumps_grantee ON ${table}`);
    }
    await q.query(`DROP FUNCTION permission_truncate_bumps_grantees()`);
    await q.query(`DROP FUNCTION permission_review_bumps_grantee()`);
    await q.query(`DROP FUNCTION permission_bumps_grantee()`);
    await q.query(`DROP FUNCTION permission_grantee_bump(uuid, uuid)`);
    await q.query(`DROP TABLE permission_grantee_version`);
  }
}

/**
 * A row trigger's function that replaces the versions its row names, before
 * the write (OLD) and after it (NEW). FileListingVersion writes its files'
 * trigger with it too.
 */
export const bumpsVersions = (name: string, bumpOf: (row: 'OLD' | 'NEW') => string) => `
  CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  BEGIN
    IF TG_OP <> 'INSERT' THEN
      ${bumpOf('OLD')};
    END IF;
    IF TG_OP <> 'DELETE' THEN
      ${bumpOf('NEW')};
    END IF;
    RETURN NULL;
  END $$`;

/** A TRUNCATE trigger's function that replaces every version of `table`: what they named is gone. */
export const truncateBumpsAll = (name: string, table: string) => `
      CREATE FUNCTION ${name}() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        UPDATE ${table} SET version = gen_random_uuid();
        RETURN NULL;
      END $$`;
