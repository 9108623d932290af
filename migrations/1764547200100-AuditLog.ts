import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only audit log. PostgreSQL itself enforces immutability: triggers
 * refuse UPDATE, DELETE and TRUNCATE for every role, and the application role
 * holds INSERT and SELECT only. A further trigger refuses any entry that does
 * not extend its ledger's chain by exactly one link.
 */
export class AuditLog1764547200100 implements MigrationInterface {
  name = 'AuditLog1764547200100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_entry (
        ledger       text NOT NULL CHECK (ledger ~ '^[a-z][a-z0-9-]{1,39}$'),
        seq          bigint NOT NULL CHECK (seq >= 1),
        occurred_at  timestamptz NOT NULL,
        actor        text NOT NULL,
        action       text NOT NULL,
        subject_type text NOT NULL,
        subject_id   text NOT NULL,
        parties      text[] NOT NULL DEFAULT '{}',
        payload      jsonb NOT NULL,
        prev_hash    text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        PRIMARY KEY (ledger, seq),
        -- Two entries claiming the same predecessor would be a fork.
        UNIQUE (ledger, prev_hash)
      )`);
    await q.query(`CREATE INDEX audit_entry_parties_idx ON audit_entry USING gin (parties)`);

    await q.query(`
      CREATE TABLE audit_checkpoint (
        ledger     text NOT NULL,
        size       bigint NOT NULL CHECK (size >= 1),
        root_hash  text NOT NULL CHECK (root_hash ~ '^[0-9a-f]{64}$'),
        signed_at  timestamptz NOT NULL,
        key_id     text NOT NULL,
        signature  text NOT NULL,
        -- Roots of the perfect subtrees of the first \`size\` leaves: the next checkpoint
        -- continues from here instead of rereading the ledger.
        frontier   text[] NOT NULL,
        PRIMARY KEY (ledger, size)
      )`);

    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);

    await q.query(`
      CREATE FUNCTION audit_check_link() RETURNS trigger LANGUAGE plpgsql
        -- The plan of the lookup below is cached per session; planned while the table was
        -- small it would be a sequential scan, and appends would slow down as the log grows.
        SET enable_seqscan = off AS $$
      DECLARE previous text;
      BEGIN
        IF NEW.seq = 1 THEN
          previous := repeat('0', 64);
        ELSE
          SELECT hash INTO previous FROM audit_entry WHERE ledger = NEW.ledger AND seq = NEW.seq - 1;
        END IF;
        IF previous IS DISTINCT FROM NEW.prev_hash THEN
          RAISE EXCEPTION 'audit entry %/% does not extend its chain', NEW.ledger, NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);

    for (const table of ['audit_entry', 'audit_checkpoint']) {
      await q.query(`
        CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
      // Row triggers do not fire on TRUNCATE.
      await q.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
      await q.query(`GRANT SELECT, INSERT ON ${table} TO exchange_app`);
    }
    // Serializes appends per ledger and reads the tail after the lock is held:
    // a PL/pgSQL statement takes a fresh snapshot, a single SQL statement would not.
    await q.query(`
      CREATE FUNCTION audit_lock_tail(p_ledger text, OUT tail_seq bigint, OUT tail_hash text)
        LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || p_ledger, 0));
        SELECT e.seq, e.hash INTO tail_seq, tail_hash
          FROM audit_entry e WHERE e.ledger = p_ledger ORDER BY e.seq DESC LIMIT 1;
      END $$`);
    // One round trip per append: the caller sends the entry's canonical text around the
    // two values only the ledger's tail decides (prev_hash and seq), and the database
    // fills them in under the lock and hashes it. The lock is held for this statement
    // and the commit, nothing more.
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
    await q.query(`
      CREATE TRIGGER audit_entry_link BEFORE INSERT ON audit_entry
        FOR EACH ROW EXECUTE FUNCTION audit_check_link()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_checkpoint`);
    await q.query(`DROP TABLE audit_entry`);
    await q.query(`DROP FUNCTION audit_append(text, timestamptz, text, text, text, text, text[], jsonb, text, text)`);
    await q.query(`DROP FUNCTION audit_lock_tail(text)`);
    await q.query(`DROP FUNCTION audit_check_link()`);
    await q.query(`DROP FUNCTION audit_refuse_change()`);
  }
}
