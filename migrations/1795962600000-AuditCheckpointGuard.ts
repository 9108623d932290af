import type { MigrationInterface, QueryRunner } from 'typeorm';

/** audit_record_checkpoint as this migration makes it (a later one restores it on the way down). */
export const RECORD_CHECKPOINT_V1 = `
      CREATE FUNCTION audit_record_checkpoint(
          p_ledger text, p_base_size bigint, p_size bigint, p_root text,
          p_signed_at timestamptz, p_key_id text, p_signature text)
        RETURNS text[]
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        ledger_size bigint;
        roots bytea[] := '{}';
        sizes bigint[] := '{}';
        node bytea;
        width bigint;
        n int;
        entry record;
        base record;
        computed text;
        frontier text[];
      BEGIN
        SELECT max(seq) INTO ledger_size FROM audit_entry WHERE ledger = p_ledger;
        IF p_size < 1 OR ledger_size IS NULL OR p_size > ledger_size THEN
          RAISE EXCEPTION 'checkpoint of size % is outside ledger % (size %)', p_size, p_ledger, coalesce(ledger_size, 0)
            USING ERRCODE = 'check_violation';
        END IF;
        IF p_base_size < 0 OR p_base_size >= p_size THEN
          RAISE EXCEPTION 'base size % must lie below %', p_base_size, p_size USING ERRCODE = 'check_violation';
        END IF;
        -- Continue from a stored checkpoint whose frontier gives its root (every row stored here has one).
        IF p_base_size > 0 THEN
          SELECT c.frontier INTO base FROM audit_checkpoint c
           WHERE c.ledger = p_ledger AND c.size = p_base_size
             AND encode(audit_frontier_root((SELECT array_agg(decode(f, 'hex') ORDER BY i) FROM unnest(c.frontier) WITH ORDINALITY AS u(f, i))), 'hex') = c.root_hash
           LIMIT 1;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no sound checkpoint of size % in ledger %', p_base_size, p_ledger USING ERRCODE = 'check_violation';
          END IF;
          width := p_base_size;
          -- The subtree sizes follow from the bits of the size, largest first.
          FOR bit IN REVERSE 62 .. 0 LOOP
            IF (width >> bit) & 1 = 1 THEN sizes := sizes || (1::bigint << bit); END IF;
          END LOOP;
          IF cardinality(sizes) <> cardinality(base.frontier) THEN
            RAISE EXCEPTION 'the checkpoint of size % has a malformed frontier', p_base_size USING ERRCODE = 'check_violation';
          END IF;
          SELECT array_agg(decode(f, 'hex') ORDER BY i) INTO roots FROM unnest(base.frontier) WITH ORDINALITY AS u(f, i);
        END IF;
        FOR entry IN SELECT e.hash FROM audit_entry e WHERE e.ledger = p_ledger AND e.seq > p_base_size AND e.seq <= p_size ORDER BY e.seq LOOP
          node := sha256('\\x00'::bytea || decode(entry.hash, 'hex'));
          width := 1;
          n := cardinality(roots);
          WHILE n > 0 AND sizes[n] = width LOOP
            node := sha256('\\x01'::bytea || roots[n] || node);
            width := width + sizes[n];
            roots := roots[1:n - 1];
            sizes := sizes[1:n - 1];
            n := n - 1;
          END LOOP;
          roots := roots || node;
          sizes := sizes || width;
        END LOOP;
        computed := encode(audit_frontier_root(roots), 'hex');
        IF computed IS DISTINCT FROM p_root THEN
          RAISE EXCEPTION 'the root of checkpoint %/% is not the root of the ledger''s entries', p_ledger, p_size
            USING ERRCODE = 'check_violation';
        END IF;
        SELECT array_agg(encode(r, 'hex') ORDER BY i) INTO frontier FROM unnest(roots) WITH ORDINALITY AS u(r, i);
        INSERT INTO audit_checkpoint (ledger, size, root_hash, signed_at, key_id, signature, frontier)
        VALUES (p_ledger, p_size, p_root, p_signed_at, p_key_id, p_signature, frontier)
        ON CONFLICT DO NOTHING;
        RETURN frontier;
      END $$`;

/**
 * Checkpoints are written only through audit_record_checkpoint, which runs as
 * the table owner and stores a checkpoint only if its root is the Merkle root
 * of the ledger's entries as they are: the application role can no longer
 * insert a row of any size, root or frontier it likes. The signature cannot be
 * checked here (PostgreSQL has no Ed25519); readers check it, and skip rows
 * whose signature does not verify.
 *
 * The key becomes (ledger, size, signature): a row with a bad signature can
 * then never occupy a size that the signer needs.
 */
export class AuditCheckpointGuard1795962600000 implements MigrationInterface {
  name = 'AuditCheckpointGuard1795962600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE INSERT ON audit_checkpoint FROM exchange_app`);
    await q.query(`ALTER TABLE audit_checkpoint DROP CONSTRAINT audit_checkpoint_pkey`);
    await q.query(`ALTER TABLE audit_checkpoint ADD PRIMARY KEY (ledger, size, signature)`);

    // The RFC 6962 root of a frontier (perfect subtree roots, largest first): their right fold.
    await q.query(`
      CREATE FUNCTION audit_frontier_root(p_frontier bytea[]) RETURNS bytea
        LANGUAGE plpgsql IMMUTABLE STRICT AS $$
      DECLARE
        acc bytea := p_frontier[array_length(p_frontier, 1)];
      BEGIN
        FOR i IN REVERSE array_length(p_frontier, 1) - 1 .. 1 LOOP
          acc := sha256('\\x01'::bytea || p_frontier[i] || acc);
        END LOOP;
        RETURN acc;
      END $$`);

    await q.query(RECORD_CHECKPOINT_V1);
    await q.query(`REVOKE ALL ON FUNCTION audit_record_checkpoint(text, bigint, bigint, text, timestamptz, text, text) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION audit_record_checkpoint(text, bigint, bigint, text, timestamptz, text, text) TO exchange_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_record_checkpoint(text, bigint, bigint, text, timestamptz, text, text)`);
    await q.query(`DROP FUNCTION audit_frontier_root(bytea[])`);
    await q.query(`ALTER TABLE audit_checkpoint DROP CONSTRAINT audit_checkpoint_pkey`);
    await q.query(`ALTER TABLE audit_checkpoint ADD PRIMARY KEY (ledger, size)`);
    await q.query(`GRANT INSERT ON audit_checkpoint TO exchange_app`);
  }
}
