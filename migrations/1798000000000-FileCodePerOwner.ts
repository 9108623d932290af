import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A file's code is unique within its owning department, no longer within its
 * district. Registering a code that a file of another department of the
 * district held answered CONFLICT "already registered", even when the
 * registering steward could not discover that file: with codes given in
 * sequence, a steward could map the district's hidden files. Now a conflict
 * can only name a file the caller's own department owns. The key still
 * leads with the district (the distribution column).
 */
export class FileCodePerOwner1798000000000 implements MigrationInterface {
  name = 'FileCodePerOwner1798000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE data_file ADD CONSTRAINT data_file_owner_code_key UNIQUE (district_id, owner_department_id, code)`);
    await q.query(`ALTER TABLE data_file DROP CONSTRAINT data_file_district_id_code_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE data_file ADD CONSTRAINT data_file_district_id_code_key UNIQUE (district_id, code)`);
    await q.query(`ALTER TABLE data_file DROP CONSTRAINT data_file_owner_code_key`);
  }
}
