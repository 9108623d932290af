import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The trigger function that caches a payload's text, as this migration writes it (AuditEntryOneTrigger restores it on the way down). */
export const CACHE_PAYLOAD = `
      CREATE FUNCTION audit_cache_payload() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.payload_jcs := audit_jcs(NEW.payload);
        RETURN NEW;
      END $$`;

/**
 * The payload's canonical text (RFC 8785), kept beside the entry so that
 * verification can hash entries inside PostgreSQL: building the canonical text
 * of the fixed fields is plain SQL (to_json escapes as JSON.stringify does),
 * the free-form payload is not, and encoding it in JavaScript was most of the
 * cost of checking a ledger.
 *
 * - audit_jcs(jsonb) writes RFC 8785 for the values it can write exactly and
 *   answers NULL for the rest (numbers that JavaScript would print differently
 *   than PostgreSQL stores them, keys whose UTF-16 order differs from their
 *   code point order). NULL means "no cached text": verification then encodes
 *   that entry in JavaScript, as it did before.
 * - payload_jcs is a cache, not part of the entry: the format's hash is still
 *   over the payload itself (docs/audit-format.md). It is always computed by a
 *   trigger from the stored payload, never taken from the writer, so a writer
 *   cannot make the database's check and the format's check disagree.
 * - Existing entries are filled once. The table refuses UPDATE; the owner lifts
 *   that for this one statement inside this migration's transaction, which
 *   changes no hashed field, and puts it back before the transaction ends.
 */
export class AuditCanonicalPayload1796600000000 implements MigrationInterface {
  name = 'AuditCanonicalPayload1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_jcs(v jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
      DECLARE
        parts text;
        missing bigint;
        t text;
      BEGIN
        CASE jsonb_typeof(v)
          WHEN 'string', 'boolean', 'null' THEN
            RETURN v::text;
          WHEN 'number' THEN
            -- JavaScript prints a double in plain decimals between 1e-6 and 1e21; up to 15
            -- significant digits it prints the digits it was given (DBL_DIG), without trailing zeros.
            t := v::text;
            IF t ~ '^-?(0|[1-9][0-9]*)(\\.[0-9]*[1-9])?$'
               AND length(trim(BOTH '0' FROM translate(t, '-.', ''))) <= 15
               AND abs(v::numeric) < 1e21 AND (v::numeric = 0 OR abs(v::numeric) >= 0.000001) THEN
              RETURN t;
            END IF;
            RETURN NULL;
          WHEN 'array' THEN
            SELECT string_agg(j, ',' ORDER BY n), count(*) FILTER (WHERE j IS NULL) INTO parts, missing
              FROM (SELECT n, audit_jcs(e) AS j FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, n)) s;
            RETURN CASE WHEN missing = 0 THEN '[' || coalesce(parts, '') || ']' END;
          ELSE
            -- RFC 8785 orders keys by UTF-16 code units; byte order ("C") agrees below U+E000.
            SELECT string_agg(to_json(k)::text || ':' || j, ',' ORDER BY k COLLATE "C"),
                   count(*) FILTER (WHERE j IS NULL OR k ~ '[\\uE000-\\U0010FFFF]') INTO parts, missing
              FROM (SELECT key AS k, audit_jcs(value) AS j FROM jsonb_each(v)) s;
            RETURN CASE WHEN missing = 0 THEN '{' || coalesce(parts, '') || '}' END;
        END CASE;
      END $$`);

    await q.query(`ALTER TABLE audit_entry ADD COLUMN payload_jcs text`);
    await q.query(CACHE_PAYLOAD);
    await q.query(`CREATE TRIGGER audit_entry_cache_payload BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_cache_payload()`);

    await q.query(`ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update_delete`);
    await q.query(`UPDATE audit_entry SET payload_jcs = audit_jcs(payload)`);
    await q.query(`ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_update_delete`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_entry_cache_payload ON audit_entry`);
    await q.query(`DROP FUNCTION audit_cache_payload()`);
    await q.query(`ALTER TABLE audit_entry DROP COLUMN payload_jcs`);
    await q.query(`DROP FUNCTION audit_jcs(jsonb)`);
  }
}
