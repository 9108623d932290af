import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The link trigger's checks of the canonical text it was given: present (set by
 * the append functions), used once, and hashed to the row's hash. Shared with
 * AuditEntryOneTrigger, which writes the same checks.
 */
export const TEXT_SEALS_ROW = `
        IF canonical IS NULL OR canonical = '' THEN
          RAISE EXCEPTION 'audit entry %/% was not appended through audit_append', NEW.ledger, NEW.seq
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Used once: the next row needs its own text.
        PERFORM set_config('audit.canonical', '', true);
        IF encode(sha256(convert_to(canonical, 'UTF8')), 'hex') <> NEW.hash THEN
          RAISE EXCEPTION 'audit entry %/%: hash is not the SHA-256 of its canonical text', NEW.ledger, NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;`;

/** The check that the canonical text describes the row, member by member (parsed as JSON). */
export const TEXT_DESCRIBES_ROW = `
        doc := canonical::jsonb;
        IF (SELECT count(*) FROM jsonb_object_keys(doc)) <> 10
           OR doc->>'ledger' IS DISTINCT FROM NEW.ledger
           OR doc->'seq' IS DISTINCT FROM to_jsonb(NEW.seq)
           OR doc->>'occurredAt' IS DISTINCT FROM to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
           OR doc->>'actor' IS DISTINCT FROM NEW.actor
           OR doc->>'action' IS DISTINCT FROM NEW.action
           OR doc->>'subjectType' IS DISTINCT FROM NEW.subject_type
           OR doc->>'subjectId' IS DISTINCT FROM NEW.subject_id
           OR doc->'parties' IS DISTINCT FROM to_jsonb(NEW.parties)
           OR doc->'payload' IS DISTINCT FROM NEW.payload
           OR doc->>'prevHash' IS DISTINCT FROM NEW.prev_hash THEN
          RAISE EXCEPTION 'audit entry %/%: its canonical text does not describe it', NEW.ledger, NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;`;

/** The link trigger's function as this migration writes it (AuditEntryOneTrigger restores it on the way down). */
export const CHECK_ENTRY = `
      CREATE OR REPLACE FUNCTION audit_check_entry() RETURNS trigger LANGUAGE plpgsql
        -- See audit_check_link: a plan cached while the table was small would scan.
        SET enable_seqscan = off AS $$
      DECLARE
        previous text;
        canonical text := current_setting('audit.canonical', true);
        doc jsonb;
      BEGIN
        IF NEW.seq = 1 THEN
          previous := repeat('0', 64);
        ELSE
          SELECT hash INTO previous FROM audit_entry WHERE ledger = NEW.ledger AND seq = NEW.seq - 1;
        END IF;
        IF previous IS DISTINCT FROM NEW.prev_hash THEN
          RAISE EXCEPTION 'audit entry %/% does not extend its chain', NEW.ledger, NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;${TEXT_SEALS_ROW}${TEXT_DESCRIBES_ROW}
        RETURN NEW;
      END $$`;

/**
 * audit_seal_insert as this migration writes it, after CREATE or CREATE OR
 * REPLACE (AuditPayloadsCheckable puts it back on the way down).
 */
export const SEAL_INSERT = `FUNCTION audit_seal_insert(
          p_ledger text, p_seq bigint, p_prev_hash text, p_occurred_at timestamptz, p_actor text, p_action text,
          p_subject_type text, p_subject_id text, p_parties text[], p_payload jsonb, p_canonical_head text, p_canonical_tail text)
        RETURNS text LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        canonical text := p_canonical_head || p_prev_hash || '","seq":' || p_seq || p_canonical_tail;
        sealed text := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
      BEGIN
        PERFORM set_config('audit.canonical', canonical, true);
        INSERT INTO audit_entry (ledger, seq, occurred_at, actor, action, subject_type, subject_id, parties, payload, prev_hash, hash)
        VALUES (p_ledger, p_seq, p_occurred_at, p_actor, p_action, p_subject_type, p_subject_id, p_parties, p_payload, p_prev_hash, sealed);
        RETURN sealed;
      END $$`;

/**
 * One way in for audit entries, checked by the database:
 *
 * - audit_append and audit_append_many run as the table owner (SECURITY
 *   DEFINER); the application role loses INSERT on audit_entry and calls them.
 *   They fill in seq and prev_hash under the ledger's lock and hash the
 *   canonical text themselves.
 * - The link trigger now also refuses an entry whose hash is not the SHA-256 of
 *   the canonical text it was sealed from, or whose canonical text does not
 *   describe the row's own fields (so an entry cannot be hashed as one thing
 *   and stored as another). The text reaches the trigger in a transaction-local
 *   setting that only the append functions set; an INSERT that does not come
 *   through them has none and is refused.
 * - occurred_at holds whole milliseconds, the precision of the canonical form
 *   (a CHECK constraint, which holds even with triggers disabled).
 */
export class AuditAppendPath1795962700000 implements MigrationInterface {
  name = 'AuditAppendPath1795962700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_occurred_at_ms CHECK (occurred_at = date_trunc('milliseconds', occurred_at))`);
    await q.query(`REVOKE INSERT ON audit_entry FROM exchange_app`);

    await q.query(CHECK_ENTRY);
    await q.query(`DROP TRIGGER audit_entry_link ON audit_entry`);
    await q.query(`CREATE TRIGGER audit_entry_link BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_check_entry()`);

    // Seals and inserts one entry at the tail the caller has locked. Not callable by the application.
    await q.query(`CREATE ${SEAL_INSERT}`);
    await q.query(`REVOKE ALL ON FUNCTION audit_seal_insert(text, bigint, text, timestamptz, text, text, text, text, text[], jsonb, text, text) FROM PUBLIC`);

    await q.query(`DROP FUNCTION audit_append(text, timestamptz, text, text, text, text, text[], jsonb, text, text)`);
    await q.query(`
      CREATE FUNCTION audit_append(
          p_ledger text, p_occurred_at timestamptz, p_actor text, p_action text, p_subject_type text,
          p_subject_id text, p_parties text[], p_payload jsonb, p_canonical_head text, p_canonical_tail text,
          OUT seq bigint, OUT prev_hash text, OUT hash text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        tail record;
      BEGIN
        SELECT * INTO tail FROM audit_lock_tail(p_ledger);
        seq := coalesce(tail.tail_seq, 0) + 1;
        prev_hash := coalesce(tail.tail_hash, repeat('0', 64));
        hash := audit_seal_insert(p_ledger, seq, prev_hash, p_occurred_at, p_actor, p_action, p_subject_type, p_subject_id,
                                  p_parties, p_payload, p_canonical_head, p_canonical_tail);
      END $$`);
    // Many entries of one ledger in one call (bulk loads): one lock, one round trip.
    await q.query(`
      CREATE FUNCTION audit_append_many(p_ledger text, p_entries jsonb)
        RETURNS TABLE (seq bigint, prev_hash text, hash text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        tail record;
        e record;
      BEGIN
        SELECT * INTO tail FROM audit_lock_tail(p_ledger);
        seq := coalesce(tail.tail_seq, 0);
        hash := coalesce(tail.tail_hash, repeat('0', 64));
        FOR e IN SELECT * FROM jsonb_to_recordset(p_entries) AS x(occurred_at timestamptz, actor text, action text, subject_type text,
                   subject_id text, parties text[], payload jsonb, head text, tail text) LOOP
          seq := seq + 1;
          prev_hash := hash;
          hash := audit_seal_insert(p_ledger, seq, prev_hash, e.occurred_at, e.actor, e.action, e.subject_type, e.subject_id,
                                    e.parties, e.payload, e.head, e.tail);
          RETURN NEXT;
        END LOOP;
      END $$`);
    for (const signature of [
      'audit_append(text, timestamptz, text, text, text, text, text[], jsonb, text, text)',
      'audit_append_many(text, jsonb)',
    ]) {
      await q.query(`REVOKE ALL ON FUNCTION ${signature} FROM PUBLIC`);
      await q.query(`GRANT EXECUTE ON FUNCTION ${signature} TO exchange_app`);
    }
    // Without statistics the planner serves the trigger's (ledger, seq) lookup from the subject
    // index, which scans the whole ledger, and a session keeps that plan: appends would slow
    // down as the ledger grows. With them it takes the primary key.
    await q.query(`ANALYZE audit_entry`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_append_many(text, jsonb)`);
    await q.query(`DROP FUNCTION audit_append(text, timestamptz, text, text, text, text, text[], jsonb, text, text)`);
    await q.query(`DROP FUNCTION audit_seal_insert(text, bigint, text, timestamptz, text, text, text, text, text[], jsonb, text, text)`);
    await q.query(`
      CREATE FUNCTION audit_append(
          p_ledger text, p_occurred_at timestamptz, p_actor text, p_action text, p_subject_type text,
          p_subject_id text, p_parties text[], p_payload jsonb, p_canonical_head text, p_canonical_tail text,
          OUT seq bigint, OUT prev_hash text, OUT hash text)
        LANGUAGE plpgsql AS $$
      DECLARE
        tail record;
      BEGIN
        SELECT * INTO tail FROM audit_lock_tail(p_ledger);
        seq := coalesce(tail.tail_seq, 0) + 1;
        prev_hash := coalesce(tail.tail_hash, repeat('0', 64));
        hash := encode(sha256(convert_to(p_canonical_head || prev_hash || '","seq":' || seq || p_canonical_tail, 'UTF8')), 'hex');
        INSERT INTO audit_entry (ledger, seq, occurred_at, actor, action, subject_type, subject_id, parties, payload, prev_hash, hash)
        VALUES (p_ledger, seq, p_occurred_at, p_actor, p_action, p_subject_type, p_subject_id, p_parties, p_payload, prev_hash, hash);
      END $$`);
    await q.query(`DROP TRIGGER audit_entry_link ON audit_entry`);
    await q.query(`CREATE TRIGGER audit_entry_link BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_check_link()`);
    await q.query(`DROP FUNCTION audit_check_entry()`);
    await q.query(`GRANT INSERT ON audit_entry TO exchange_app`);
    await q.query(`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_occurred_at_ms`);
  }
}
