import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full-text search stops matching field names. The search runs for whoever
 * may DISCOVER a file, but a file's field catalogue is READ's: a search for
 * a field's name singled out the files that have it, telling by trial what
 * the caller may not read (the request path refuses the same trial). A
 * file is now found by its title (A), tags (B) and description (C);
 * data_file_search_vector loses its field-names argument, every file's
 * vector is written again, and every district's listing version moves, so
 * that no kept search or total outlives the change.
 */
export class SearchWithoutFieldNames1798400000000 implements MigrationInterface {
  name = 'SearchWithoutFieldNames1798400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION data_file_search_vector(title text, description text, tags text[])
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN setweight(to_tsvector('english', coalesce(title, '')), 'A')
            || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B')
            || setweight(to_tsvector('english', coalesce(description, '')), 'C')`);
    await rewriteVectors(q, `data_file_search_vector(title, description, tags)`);
    await q.query(`DROP FUNCTION data_file_search_vector(text, text, text[], text[])`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION data_file_search_vector(title text, description text, tags text[], field_names text[])
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN setweight(to_tsvector('english', coalesce(title, '')), 'A')
            || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B')
            || setweight(to_tsvector('english', coalesce(description, '')), 'C')
            || setweight(to_tsvector('english', replace(array_to_string(field_names, ' '), '_', ' ')), 'D')`);
    await rewriteVectors(
      q,
      `data_file_search_vector(title, description, tags,
         (SELECT array_agg(d.name ORDER BY d.position) FROM data_field d WHERE d.district_id = data_file.district_id AND d.file_id = data_file.id))`,
    );
    await q.query(`DROP FUNCTION data_file_search_vector(text, text, text[])`);
  }
}

/**
 * Every file's vector written again. The listing trigger would queue one
 * deferred event per file (a city holds 750,000); it is off for the rewrite,
 * and every district's listing moves once instead. The owner writes without
 * audit entries (the audited-writes check exempts it): the rewrite changes
 * no fact a ledger records.
 */
async function rewriteVectors(q: QueryRunner, vector: string): Promise<void> {
  await q.query(`ALTER TABLE data_file DISABLE TRIGGER data_file_bumps_listing`);
  await q.query(`UPDATE data_file SET search_vector = ${vector}`);
  await q.query(`ALTER TABLE data_file ENABLE TRIGGER data_file_bumps_listing`);
  await q.query(`UPDATE file_listing_version SET version = gen_random_uuid()`);
}
