import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SEAL_INSERT } from './1795962700000-AuditAppendPath.js';

/**
 * The API's role may seal only entries whose payload the database can write
 * canonically itself (audit_jcs: integers of up to 15 digits, strings,
 * booleans, nulls, arrays, objects with plain keys; every payload the
 * services write). For any other payload the link trigger can only compare
 * the hashed text with the row as jsonb, which forgets duplicate keys and
 * rounds long numbers: holding the role's credentials, one could seal text
 * that says `"purpose":"EVIL","purpose":"benign"` for a row that says benign,
 * an entry no verifier can reproduce, which the signer would then sign over.
 * Sessions of a role that owns the table (seeds, migrations), who could write
 * anything with triggers off, keep the looser check.
 */
export class AuditPayloadsCheckable1797900000000 implements MigrationInterface {
  name = 'AuditPayloadsCheckable1797900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_seal_insert(
          p_ledger text, p_seq bigint, p_prev_hash text, p_occurred_at timestamptz, p_actor text, p_action text,
          p_subject_type text, p_subject_id text, p_parties text[], p_payload jsonb, p_canonical_head text, p_canonical_tail text)
        RETURNS text LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        canonical text := p_canonical_head || p_prev_hash || '","seq":' || p_seq || p_canonical_tail;
        sealed text := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
        checked text;
      BEGIN
        PERFORM set_config('audit.canonical', canonical, true);
        INSERT INTO audit_entry (ledger, seq, occurred_at, actor, action, subject_type, subject_id, parties, payload, prev_hash, hash)
        VALUES (p_ledger, p_seq, p_occurred_at, p_actor, p_action, p_subject_type, p_subject_id, p_parties, p_payload, p_prev_hash, sealed)
        RETURNING payload_jcs INTO checked;
        -- session_user: these functions run as the owner; who called them is the session's role.
        IF checked IS NULL AND NOT pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'audit_entry'::regclass), 'MEMBER') THEN
          RAISE EXCEPTION 'audit entry %/%: its payload holds a number or key whose canonical form the database cannot check (numbers: integers of up to 15 digits)', p_ledger, p_seq
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN sealed;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE ${SEAL_INSERT}`);
  }
}
