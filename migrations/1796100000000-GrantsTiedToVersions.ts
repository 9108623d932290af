import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Grants and exchanges remember the version of the file they were decided on.
 *
 * A file has two versions: `version`, the number of its latest publication of
 * records (unchanged), and `schema_version`, the number of its field set,
 * which starts at 1 and grows by one with each change of the schema. A grant
 * records both when it is made (or re-approved), an approved exchange when it
 * is decided. When a schema change touches fields a grant gives, the grant's
 * delivery of those fields is held by an open review (permission_review)
 * until a steward re-approves; its other fields keep flowing.
 *
 * No schema could change before this migration, so every grant on a file made
 * before it was decided on schema version 1.
 */
export class GrantsTiedToVersions1796100000000 implements MigrationInterface {
  name = 'GrantsTiedToVersions1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE data_file ADD COLUMN schema_version integer NOT NULL DEFAULT 1 CHECK (schema_version >= 1)`);

    await q.query(`ALTER TABLE permission ADD COLUMN file_version integer, ADD COLUMN schema_version integer`);
    await q.query(`UPDATE permission SET schema_version = 1 WHERE file_id IS NOT NULL`);

    await q.query(`ALTER TABLE exchange ADD COLUMN file_version integer, ADD COLUMN schema_version integer, ADD COLUMN withheld_fields text[]`);

    // One row per grant, file and schema change that touched fields the grant gives; open until re-approved.
    await q.query(`
      CREATE TABLE permission_review (
        district_id    uuid NOT NULL,
        id             uuid NOT NULL DEFAULT gen_random_uuid(),
        permission_id  uuid NOT NULL,
        file_id        uuid NOT NULL,
        schema_version integer NOT NULL,
        fields         text[] NOT NULL CHECK (cardinality(fields) > 0),
        changes        text NOT NULL,
        opened_at      timestamptz NOT NULL DEFAULT now(),
        opened_by      text NOT NULL,
        resolved_at    timestamptz,
        resolved_by    text,
        resolve_note   text,
        PRIMARY KEY (district_id, id),
        FOREIGN KEY (district_id, permission_id) REFERENCES permission (district_id, id) ON DELETE CASCADE,
        FOREIGN KEY (district_id, file_id) REFERENCES data_file (district_id, id) ON DELETE CASCADE,
        CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)),
        CHECK (resolved_at IS NULL OR resolved_at >= opened_at)
      )`);
    // A department's grants are loaded with their reviews held at an instant: by grant.
    await q.query(`CREATE INDEX permission_review_permission_idx ON permission_review (district_id, permission_id, opened_at)`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON permission_review TO exchange_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE permission_review`);
    await q.query(`ALTER TABLE exchange DROP COLUMN file_version, DROP COLUMN schema_version, DROP COLUMN withheld_fields`);
    await q.query(`ALTER TABLE permission DROP COLUMN file_version, DROP COLUMN schema_version`);
    await q.query(`ALTER TABLE data_file DROP COLUMN schema_version`);
  }
}
