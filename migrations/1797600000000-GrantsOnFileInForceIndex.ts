import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The approval's gate (permission_same_in_force) asks for a grant of one file
 * and grantee in force. By its statistics a file has a grant or two, so
 * PostgreSQL read it from the file's index (district, file), which holds
 * every grant ever made on the file: a file asked for again and again, each
 * exchange leaving a revoked grant, made every approval on it read them all
 * (4,000 in 2.5 ms, and growing with each exchange). This index leads with
 * the same columns, so it serves every lookup by file the old one did (the
 * grants on a file, the cascade from data_file), and goes on with when each
 * grant ends (grantEndSql, as the grantee's in-force index has it) and the
 * grantee: the grants in force on a file are one range of it (the gate's,
 * and those who are told of the file's changes), the grantee tested in the
 * index without reading the table.
 */
export class GrantsOnFileInForceIndex1797600000000 implements MigrationInterface {
  name = 'GrantsOnFileInForceIndex1797600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX permission_file_in_force_idx ON permission
        (district_id, file_id, (least(coalesce(revoked_at, 'infinity'::timestamptz), coalesce(expires_at, 'infinity'::timestamptz))),
         grantee_department_id)`);
    await q.query(`DROP INDEX permission_file_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX permission_file_idx ON permission (district_id, file_id)`);
    await q.query(`DROP INDEX permission_file_in_force_idx`);
  }
}
