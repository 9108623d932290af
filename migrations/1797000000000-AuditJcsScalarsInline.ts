import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * audit_jcs (AuditCanonicalPayload) wrote every value of a payload through a
 * call of its own: a plpgsql call per string, each with its own executor
 * state, about fifteen for an exchange's payload and most of the cost of
 * caching its text at every append. Strings, booleans and nulls are now
 * written in the statement that writes the object or array holding them
 * (their text is jsonb's, as before); numbers, arrays and objects still go
 * through the function. The text written is unchanged: the property test of
 * payload-cache.spec.ts holds it to canonicalize's.
 */
export class AuditJcsScalarsInline1797000000000 implements MigrationInterface {
  name = 'AuditJcsScalarsInline1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(JCS_SCALARS_INLINE);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(jcs((value) => `audit_jcs(${value})`));
  }
}

/**
 * The function, with `element` the text of an array element and `member` that
 * of an object member's value; `subquery` ends the sub-select each is written
 * in (AuditEntryOneTrigger's ' OFFSET 0').
 */
export const jcs = (element: (value: string) => string, member = element, subquery = '') => `
  CREATE OR REPLACE FUNCTION audit_jcs(v jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
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
          FROM (SELECT n, ${element('e')} AS j FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, n)${subquery}) s;
        RETURN CASE WHEN missing = 0 THEN '[' || coalesce(parts, '') || ']' END;
      ELSE
        -- RFC 8785 orders keys by UTF-16 code units; byte order ("C") agrees below U+E000.
        SELECT string_agg(to_json(k)::text || ':' || j, ',' ORDER BY k COLLATE "C"),
               count(*) FILTER (WHERE j IS NULL OR k ~ '[\\uE000-\\U0010FFFF]') INTO parts, missing
          FROM (SELECT key AS k, ${member('value')} AS j FROM jsonb_each(v)${subquery}) s;
        RETURN CASE WHEN missing = 0 THEN '{' || coalesce(parts, '') || '}' END;
    END CASE;
  END $$`;

/** audit_jcs as this migration writes it (AuditEntryOneTrigger restores it on the way down). */
export const JCS_SCALARS_INLINE = jcs(
  (value) => `CASE jsonb_typeof(${value}) WHEN 'string' THEN ${value}::text WHEN 'boolean' THEN ${value}::text WHEN 'null' THEN 'null' ELSE audit_jcs(${value}) END`,
);
