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
    await q.query(`
      CREATE TRIGGER audit_entry_link BEFORE INSERT ON audit_entry
        FOR EACH ROW EXECUTE FUNCTION audit_check_link()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_checkpoint`);
    await q.query(`DROP TABLE audit_entry`);
    await q.query(`DROP FUNCTION audit_lock_tail(text)`);
    await q.query(`DROP FUNCTION audit_check_link()`);
    await q.query(`DROP FUNCTION audit_refuse_change()`);
  }
}
