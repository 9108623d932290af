import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A file sits in its owning department's district. Every writer kept the
 * two together, and the access rules and the audit rely on it: a steward
 * decides for files of its own district, and a publication's rows and their
 * entry go to the file's district's ledger. No key said so: `data_file` had
 * one foreign key to `district` and another to `department`. The owner's key
 * now carries the district, `(district_id, owner_department_id)` referencing
 * `department (district_id, id)`, and replaces the one by id alone, so a row
 * costs the same one check as before. Both columns lead with the district,
 * the distribution column; `department` is a reference table.
 */
export class FileInItsOwnersDistrict1798200000000 implements MigrationInterface {
  name = 'FileInItsOwnersDistrict1798200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE department ADD CONSTRAINT department_district_id_id_key UNIQUE (district_id, id)`);
    await q.query(`
      ALTER TABLE data_file ADD CONSTRAINT data_file_owner_in_district_fkey
        FOREIGN KEY (district_id, owner_department_id) REFERENCES department (district_id, id)`);
    await q.query(`ALTER TABLE data_file DROP CONSTRAINT data_file_owner_department_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE data_file ADD CONSTRAINT data_file_owner_department_id_fkey FOREIGN KEY (owner_department_id) REFERENCES department (id)`);
    await q.query(`ALTER TABLE data_file DROP CONSTRAINT data_file_owner_in_district_fkey`);
    await q.query(`ALTER TABLE department DROP CONSTRAINT department_district_id_id_key`);
  }
}
