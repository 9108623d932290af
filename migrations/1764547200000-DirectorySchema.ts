import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Districts, departments and the directory of data files with their schemas.
 * Keys of district-owned rows lead with district_id so that the tables can be
 * distributed by district (Citus) without changing a constraint.
 */
export class DirectorySchema1764547200000 implements MigrationInterface {
  name = 'DirectorySchema1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exchange_app') THEN
          CREATE ROLE exchange_app NOLOGIN;
        END IF;
      END $$`);

    await q.query(`
      CREATE FUNCTION classification_rank(c text) RETURNS int
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE c WHEN 'PUBLIC' THEN 1 WHEN 'INTERNAL' THEN 2
                      WHEN 'RESTRICTED' THEN 3 WHEN 'CONFIDENTIAL' THEN 4 END`);

    await q.query(`
      CREATE TABLE district (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
        name         text NOT NULL CHECK (btrim(name) <> ''),
        level        text NOT NULL CHECK (level IN ('municipal', 'district', 'county')),
        onboarded_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE department (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,63}$'),
        name        text NOT NULL CHECK (btrim(name) <> ''),
        district_id uuid NOT NULL REFERENCES district (id)
      )`);
    await q.query(`CREATE INDEX department_district_idx ON department (district_id)`);

    await q.query(`
      CREATE TABLE data_file (
        district_id         uuid NOT NULL REFERENCES district (id),
        id                  uuid NOT NULL DEFAULT gen_random_uuid(),
        code                text NOT NULL CHECK (btrim(code) <> ''),
        title               text NOT NULL CHECK (btrim(title) <> ''),
        description         text,
        owner_department_id uuid NOT NULL REFERENCES department (id),
        classification      text NOT NULL
                            CHECK (classification IN ('PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL')),
        category            text NOT NULL,
        tags                text[] NOT NULL DEFAULT '{}',
        format              text NOT NULL,
        update_frequency    text,
        version             integer NOT NULL DEFAULT 0,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        search_vector       tsvector NOT NULL,
        PRIMARY KEY (district_id, id),
        UNIQUE (district_id, code)
      )`);
    // Lookups by id alone (file(id: ...)), keyset pagination, facets and search.
    await q.query(`CREATE INDEX data_file_id_idx ON data_file (id)`);
    await q.query(`CREATE INDEX data_file_keyset_idx ON data_file (updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX data_file_owner_idx ON data_file (owner_department_id, updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX data_file_category_idx ON data_file (category, updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX data_file_classification_idx ON data_file (classification, district_id)`);
    await q.query(`CREATE INDEX data_file_tags_idx ON data_file USING gin (tags)`);
    await q.query(`CREATE INDEX data_file_search_idx ON data_file USING gin (search_vector)`);

    await q.query(`
      CREATE TABLE data_field (
        district_id uuid NOT NULL,
        file_id     uuid NOT NULL,
        position    smallint NOT NULL,
        name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
        type        text NOT NULL CHECK (type IN ('string', 'integer', 'number', 'boolean', 'date', 'datetime')),
        sensitive   boolean NOT NULL DEFAULT false,
        description text,
        PRIMARY KEY (district_id, file_id, name),
        FOREIGN KEY (district_id, file_id) REFERENCES data_file (district_id, id) ON DELETE CASCADE
      )`);

    // One place that says how a file is found by full-text search.
    await q.query(`
      CREATE FUNCTION data_file_search_vector(title text, description text, tags text[], field_names text[])
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN setweight(to_tsvector('english', coalesce(title, '')), 'A')
            || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B')
            || setweight(to_tsvector('english', coalesce(description, '')), 'C')
            || setweight(to_tsvector('english', replace(array_to_string(field_names, ' '), '_', ' ')), 'D')`);

    await q.query(`GRANT USAGE ON SCHEMA public TO exchange_app`);
    await q.query(`GRANT SELECT ON district, department TO exchange_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON data_file, data_field TO exchange_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE data_field`);
    await q.query(`DROP TABLE data_file`);
    await q.query(`DROP FUNCTION data_file_search_vector(text, text, text[], text[])`);
    await q.query(`DROP TABLE department`);
    await q.query(`DROP TABLE district`);
    await q.query(`DROP FUNCTION classification_rank(text)`);
    // The role is cluster-wide and may serve other databases: it stays.
  }
}
