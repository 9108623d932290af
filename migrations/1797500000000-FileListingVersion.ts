import type { MigrationInterface, QueryRunner } from 'typeorm';
import { bumpsVersions, truncateBumpsAll } from './1797100000000-GrantsHeldVersion.js';

/**
 * A version of the directory's files per district: a random token that
 * triggers replace at the commit of any write to a file of the district
 * (COPY, cascades and migrations included). A listing's statement returns
 * the tag of all of them (their MD5), and counts the caller's total only when
 * that tag differs from the one the service kept the total under, for the
 * same rules and filter (libs/directory, FilesRepository.list): a total is
 * counted again after a write to the files, and not on every page.
 *
 * As the grants' versions (GrantsHeldVersion): written by triggers only,
 * deferred to the commit so that a version's row lock is taken last, after
 * any ledger lock, and replaced once per transaction; random, so that a
 * failover or a restore cannot hand an old token to new content; readable,
 * not writable, by the API's role.
 */
export class FileListingVersion1797500000000 implements MigrationInterface {
  name = 'FileListingVersion1797500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE file_listing_version (
        district_id uuid PRIMARY KEY REFERENCES district(id) ON DELETE CASCADE,
        version uuid NOT NULL
      )`);
    await q.query(`GRANT SELECT ON file_listing_version TO exchange_app`);
    await q.query(`
      CREATE FUNCTION file_listing_bump(p_district uuid) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM FROM file_listing_version v WHERE v.district_id = p_district AND v.xmin = pg_current_xact_id()::xid;
        IF FOUND THEN
          RETURN;
        END IF;
        INSERT INTO file_listing_version AS v (district_id, version)
        SELECT d.id, gen_random_uuid() FROM district d WHERE d.id = p_district
        ON CONFLICT (district_id) DO UPDATE SET version = excluded.version;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION file_listing_bump(uuid) FROM PUBLIC`);
    await q.query(bumpsVersions('data_file_bumps_listing', (row) => `PERFORM file_listing_bump(${row}.district_id)`));
    await q.query(truncateBumpsAll('data_file_truncate_bumps_listing', 'file_listing_version'));
    await q.query(`
      CREATE CONSTRAINT TRIGGER data_file_bumps_listing AFTER INSERT OR UPDATE OR DELETE ON data_file
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_file_bumps_listing()`);
    await q.query(`
      CREATE TRIGGER data_file_truncate_bumps_listing AFTER TRUNCATE ON data_file
        FOR EACH STATEMENT EXECUTE FUNCTION data_file_truncate_bumps_listing()`);
    await q.query(`INSERT INTO file_listing_version (district_id, version) SELECT id, gen_random_uuid() FROM district`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER data_file_truncate_bumps_listing ON data_file`);
    await q.query(`DROP TRIGGER data_file_bumps_listing ON data_file`);
    await q.query(`DROP FUNCTION data_file_truncate_bumps_listing()`);
    await q.query(`DROP FUNCTION data_file_bumps_listing()`);
    await q.query(`DROP FUNCTION file_listing_bump(uuid)`);
    await q.query(`DROP TABLE file_listing_version`);
  }
}
