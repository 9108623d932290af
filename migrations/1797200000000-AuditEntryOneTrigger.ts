import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CHECK_ENTRY, TEXT_DESCRIBES_ROW, TEXT_SEALS_ROW } from './1795962700000-AuditAppendPath.js';
import { CACHE_PAYLOAD } from './1796600000000-AuditCanonicalPayload.js';
import { jcs, JCS_SCALARS_INLINE } from './1797000000000-AuditJcsScalarsInline.js';

/**
 * An append ran three BEFORE INSERT triggers on audit_entry, each its own
 * plpgsql call with its own lookups: the link check, the payload's cached
 * text, and the ledger's district. The link trigger now does all three, with
 * the same rules, at about 40 µs less per entry (about a fifth of an append's
 * time in the database):
 *
 * - The district comes from the ledger's first entry, read with the
 *   predecessor in one statement (a ledger still keeps the district it began
 *   under). audit_fill_district stays for the checkpoint and Merkle tables.
 * - payload_jcs is still computed from the stored payload, never taken from
 *   the writer.
 * - When the database can write the payload's canonical text (it can but for
 *   rare numbers and keys, see AuditCanonicalPayload), the entry's canonical
 *   text must be, byte for byte, the text the database writes for the row
 *   (to_json escapes as JSON.stringify does). That is one comparison of two
 *   strings where the text used to be parsed and compared member by member,
 *   and it is stricter: the hashed text is canonical, not merely equivalent.
 *   The member-by-member comparison remains for the rest.
 * - audit_jcs evaluated each non-scalar member twice (the aggregate and its
 *   NULL count both named the member's expression, and the planner flattened
 *   the subquery into both); it now writes it once, and writes integers and
 *   arrays of strings, booleans and nulls in place. Its text is unchanged:
 *   payload-cache.spec.ts holds it to canonicalize.
 */
export class AuditEntryOneTrigger1797200000000 implements MigrationInterface {
  name = 'AuditEntryOneTrigger1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(JCS);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_check_entry() RETURNS trigger LANGUAGE plpgsql
        -- A plan cached while the table was small would scan (see AuditAppendPath's ANALYZE).
        SET enable_seqscan = off SET search_path = public, pg_temp AS $$
      DECLARE
        previous text;
        canonical text := current_setting('audit.canonical', true);
        doc jsonb;
      BEGIN
        IF NEW.seq = 1 THEN
          previous := repeat('0', 64);
          SELECT e.district_id INTO NEW.district_id FROM audit_entry e WHERE e.ledger = NEW.ledger AND e.seq = 1;
          IF NOT FOUND THEN
            NEW.district_id := audit_ledger_district(NEW.ledger);
          END IF;
        ELSE
          -- A ledger keeps the district it began under, so that it never has two.
          SELECT p.hash, f.district_id INTO previous, NEW.district_id
            FROM audit_entry p JOIN audit_entry f ON f.ledger = p.ledger AND f.seq = 1
           WHERE p.ledger = NEW.ledger AND p.seq = NEW.seq - 1;
        END IF;
        IF previous IS DISTINCT FROM NEW.prev_hash THEN
          RAISE EXCEPTION 'audit entry %/% does not extend its chain', NEW.ledger, NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;${TEXT_SEALS_ROW}
        NEW.payload_jcs := audit_jcs(NEW.payload);
        IF NEW.payload_jcs IS NOT NULL THEN
          IF canonical IS DISTINCT FROM
               '{"action":' || to_json(NEW.action) || ',"actor":' || to_json(NEW.actor) || ',"ledger":' || to_json(NEW.ledger)
               || ',"occurredAt":"' || to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
               || '","parties":' || to_json(NEW.parties) || ',"payload":' || NEW.payload_jcs || ',"prevHash":' || to_json(NEW.prev_hash)
               || ',"seq":' || NEW.seq || ',"subjectId":' || to_json(NEW.subject_id) || ',"subjectType":' || to_json(NEW.subject_type) || '}' THEN
            RAISE EXCEPTION 'audit entry %/%: its canonical text does not describe it', NEW.ledger, NEW.seq
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END IF;${TEXT_DESCRIBES_ROW}
        RETURN NEW;
      END $$`);
    await q.query(`DROP TRIGGER audit_entry_cache_payload ON audit_entry`);
    await q.query(`DROP FUNCTION audit_cache_payload()`);
    await q.query(`DROP TRIGGER audit_entry_district ON audit_entry`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TRIGGER audit_entry_district BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_fill_district()`);
    await q.query(CACHE_PAYLOAD);
    await q.query(`CREATE TRIGGER audit_entry_cache_payload BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_cache_payload()`);
    await q.query(CHECK_ENTRY);
    await q.query(JCS_SCALARS_INLINE);
  }
}

/** A member's or element's text written in place when it is a string, boolean, null or integer; else by a call. */
const scalar = (value: string, otherwise: string) => `CASE jsonb_typeof(${value})
  WHEN 'string' THEN ${value}::text WHEN 'boolean' THEN ${value}::text WHEN 'null' THEN 'null'
  -- Integers of up to 15 digits: JavaScript prints them as PostgreSQL stores them.
  WHEN 'number' THEN CASE WHEN ${value}::text ~ '^-?(0|[1-9][0-9]{0,14})$' THEN ${value}::text ELSE audit_jcs(${value}) END
  ELSE ${otherwise} END`;

/**
 * audit_jcs with members written in place (`scalar`), each sub-select kept
 * whole by OFFSET 0 so that a member is written once, not once per use of j.
 */
const JCS = jcs(
  (value) => scalar(value, `audit_jcs(${value})`),
  (value) =>
    scalar(
      value,
      `CASE WHEN jsonb_typeof(${value}) = 'array' THEN (
                 -- An array of strings, booleans and nulls (a list of field names): written here, without a call.
                 SELECT CASE WHEN bool_and(jsonb_typeof(e) IN ('string', 'boolean', 'null')) IS NOT FALSE
                             THEN '[' || coalesce(string_agg(e::text, ',' ORDER BY n), '') || ']' ELSE audit_jcs(${value}) END
                   FROM jsonb_array_elements(${value}) WITH ORDINALITY AS a(e, n))
               ELSE audit_jcs(${value}) END`,
    ),
  ' OFFSET 0',
);
