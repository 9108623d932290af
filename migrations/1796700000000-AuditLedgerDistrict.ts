import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where the platform's ledger, and any other ledger that is no district's, is kept: the nil id, which no district has. */
export const NO_DISTRICT = '00000000-0000-0000-0000-000000000000';

const LEDGER_TABLES = ['audit_entry', 'audit_checkpoint', 'audit_merkle_node'] as const;

/**
 * The audit tables carry the district of their ledger (`district_id`), the
 * key every district-owned table is distributed by, so that a district's
 * entries, checkpoints and Merkle nodes can sit on the shard of its files,
 * grants and exchanges. A ledger is a district's code, or `platform`; the
 * platform's ledger, and any ledger that names no district, is kept under the
 * nil id (no district, so no foreign key: the audit tables still reach no
 * other table by key).
 *
 * - district_id is storage, not part of an entry: the canonical text, the
 *   hashes and docs/audit-format.md are unchanged.
 * - The database fills it, never a writer: a BEFORE INSERT trigger on each
 *   table sets it from the row's ledger (overriding whatever was given), so
 *   audit_append, audit_append_many, audit_record_checkpoint and
 *   audit_tree_extend, and every caller of them, stay as they are. A ledger
 *   keeps the district of its first entry: it never has two.
 * - The keys gain district_id last, not first: every reader and the chain's
 *   own trigger look entries up by (ledger, seq), and a key that led with
 *   district_id would need a second index of the same columns on every
 *   append. A ledger has one district, so (ledger, seq, district_id) is as
 *   unique as (ledger, seq), and (ledger, prev_hash, district_id) still
 *   refuses a fork; with district_id in every key, the tables can be
 *   distributed by it (Citus needs the distribution column in each unique
 *   constraint, not first). No key spans districts any more: a row forged
 *   with the triggers off under another district is not refused by a key,
 *   and the chain check finds it.
 * - Existing rows are filled once. The tables refuse UPDATE; the owner lifts
 *   that for this one statement per table inside this migration's
 *   transaction, which changes no hashed field, and puts it back before the
 *   transaction ends.
 */
export class AuditLedgerDistrict1796700000000 implements MigrationInterface {
  name = 'AuditLedgerDistrict1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_ledger_district(p_ledger text) RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE SET search_path = public, pg_temp
        RETURN coalesce((SELECT d.id FROM district d WHERE d.code = p_ledger), '${NO_DISTRICT}'::uuid)`);
    await q.query(`
      CREATE FUNCTION audit_fill_district() RETURNS trigger LANGUAGE plpgsql
        -- See audit_check_entry: a plan cached while the table was small would scan.
        SET enable_seqscan = off SET search_path = public, pg_temp AS $$
      BEGIN
        -- A ledger keeps the district it began under, so that it never has two.
        SELECT e.district_id INTO NEW.district_id FROM audit_entry e WHERE e.ledger = NEW.ledger AND e.seq = 1;
        IF NOT FOUND THEN
          NEW.district_id := audit_ledger_district(NEW.ledger);
        END IF;
        RETURN NEW;
      END $$`);

    for (const table of LEDGER_TABLES) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN district_id uuid`);
      await q.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_no_update_delete`);
      await q.query(`UPDATE ${table} SET district_id = audit_ledger_district(ledger)`);
      await q.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_no_update_delete`);
      await q.query(`ALTER TABLE ${table} ALTER COLUMN district_id SET NOT NULL`);
      await q.query(`CREATE TRIGGER ${table}_district BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_fill_district()`);
    }

    await q.query(`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_pkey, ADD PRIMARY KEY (ledger, seq, district_id)`);
    await q.query(`
      ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_ledger_prev_hash_key,
        ADD CONSTRAINT audit_entry_ledger_prev_hash_key UNIQUE (ledger, prev_hash, district_id)`);
    await q.query(`ALTER TABLE audit_checkpoint DROP CONSTRAINT audit_checkpoint_pkey, ADD PRIMARY KEY (ledger, size, signature, district_id)`);
    await q.query(`ALTER TABLE audit_merkle_node DROP CONSTRAINT audit_merkle_node_pkey, ADD PRIMARY KEY (ledger, level, idx, district_id)`);
    // See AuditAppendPath: without statistics the chain trigger's lookup would not take the new key.
    await q.query(`ANALYZE audit_entry`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_merkle_node DROP CONSTRAINT audit_merkle_node_pkey, ADD PRIMARY KEY (ledger, level, idx)`);
    await q.query(`ALTER TABLE audit_checkpoint DROP CONSTRAINT audit_checkpoint_pkey, ADD PRIMARY KEY (ledger, size, signature)`);
    await q.query(`
      ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_ledger_prev_hash_key,
        ADD CONSTRAINT audit_entry_ledger_prev_hash_key UNIQUE (ledger, prev_hash)`);
    await q.query(`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_pkey, ADD PRIMARY KEY (ledger, seq)`);
    for (const table of LEDGER_TABLES) {
      await q.query(`DROP TRIGGER ${table}_district ON ${table}`);
      await q.query(`ALTER TABLE ${table} DROP COLUMN district_id`);
    }
    await q.query(`DROP FUNCTION audit_fill_district()`);
    await q.query(`DROP FUNCTION audit_ledger_district(text)`);
  }
}
