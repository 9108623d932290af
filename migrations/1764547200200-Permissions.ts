import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Grants of DISCOVER / READ / EXCHANGE to a department, on one file or on a
 * scope (a category of a district up to a classification). A grant is active
 * between valid_from and expires_at unless revoked: expiry needs no job.
 */
export class Permissions1764547200200 implements MigrationInterface {
  name = 'Permissions1764547200200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION action_rank(a text) RETURNS int
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE a WHEN 'DISCOVER' THEN 1 WHEN 'READ' THEN 2 WHEN 'EXCHANGE' THEN 3 END`);

    await q.query(`
      CREATE TABLE permission (
        district_id               uuid NOT NULL REFERENCES district (id),
        id                        uuid NOT NULL DEFAULT gen_random_uuid(),
        file_id                   uuid,
        scope_category            text,
        scope_max_classification  text
                                  CHECK (scope_max_classification IN ('PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL')),
        grantee_department_id     uuid NOT NULL REFERENCES department (id),
        action                    text NOT NULL CHECK (action IN ('DISCOVER', 'READ', 'EXCHANGE')),
        fields                    text[],
        purpose                   text NOT NULL CHECK (btrim(purpose) <> ''),
        valid_from                timestamptz NOT NULL DEFAULT now(),
        expires_at                timestamptz,
        granted_by                text NOT NULL,
        granted_at                timestamptz NOT NULL DEFAULT now(),
        revoked_at                timestamptz,
        revoked_by                text,
        revoke_reason             text,
        PRIMARY KEY (district_id, id),
        FOREIGN KEY (district_id, file_id) REFERENCES data_file (district_id, id) ON DELETE CASCADE,
        CHECK ((file_id IS NULL) = (scope_category IS NOT NULL AND scope_max_classification IS NOT NULL)),
        CHECK (expires_at IS NULL OR expires_at > valid_from),
        CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
      )`);
    // The EXISTS that pushes a department's grants into file lists probes these.
    await q.query(`
      CREATE INDEX permission_grantee_file_idx ON permission (grantee_department_id, file_id)
        WHERE revoked_at IS NULL AND file_id IS NOT NULL`);
    await q.query(`
      CREATE INDEX permission_grantee_scope_idx ON permission (grantee_department_id, district_id, scope_category)
        WHERE revoked_at IS NULL AND file_id IS NULL`);
    await q.query(`CREATE INDEX permission_file_idx ON permission (district_id, file_id)`);
    await q.query(`CREATE INDEX permission_id_idx ON permission (id)`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON permission TO exchange_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE permission`);
    await q.query(`DROP FUNCTION action_rank(text)`);
  }
}
