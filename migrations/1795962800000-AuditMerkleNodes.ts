import type { MigrationInterface, QueryRunner } from 'typeorm';
import { RECORD_CHECKPOINT_V1 } from './1795962600000-AuditCheckpointGuard.js';

/**
 * Proofs in O(log n) reads: the hashes of complete Merkle subtrees of 256
 * leaves and more, stored as the signer extends the tree (by
 * audit_record_checkpoint, as the table owner; the application role reads
 * them only). A proof then needs O(log n) stored nodes and at most 255 entry
 * hashes per level below. A wrong node can only make a proof fail to verify
 * against the signed root; it cannot make a wrong proof verify.
 */
export class AuditMerkleNodes1795962800000 implements MigrationInterface {
  name = 'AuditMerkleNodes1795962800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_merkle_node (
        ledger text NOT NULL,
        level  smallint NOT NULL CHECK (level BETWEEN 8 AND 62),
        idx    bigint NOT NULL CHECK (idx >= 0),
        hash   bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (ledger, level, idx)
      )`);
    await q.query(`CREATE TRIGGER audit_merkle_node_no_update_delete BEFORE UPDATE OR DELETE ON audit_merkle_node FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_merkle_node_no_truncate BEFORE TRUNCATE ON audit_merkle_node FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`GRANT SELECT ON audit_merkle_node TO exchange_app`);

    // Extends a tree given by its frontier (roots, sizes) with entries p_from+1..p_to,
    // storing each complete subtree of 256 leaves or more as it is made.
    await q.query(`
      CREATE FUNCTION audit_tree_extend(p_ledger text, p_from bigint, p_to bigint, INOUT roots bytea[], INOUT sizes bigint[])
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        node bytea;
        width bigint;
        n int;
        leaves bigint := p_from;
        entry record;
      BEGIN
        FOR entry IN SELECT e.hash FROM audit_entry e WHERE e.ledger = p_ledger AND e.seq > p_from AND e.seq <= p_to ORDER BY e.seq LOOP
          node := sha256('\\x00'::bytea || decode(entry.hash, 'hex'));
          width := 1;
          leaves := leaves + 1;
          n := cardinality(roots);
          WHILE n > 0 AND sizes[n] = width LOOP
            node := sha256('\\x01'::bytea || roots[n] || node);
            width := width + sizes[n];
            roots := roots[1:n - 1];
            sizes := sizes[1:n - 1];
            n := n - 1;
            IF width >= 256 THEN
              INSERT INTO audit_merkle_node (ledger, level, idx, hash)
              VALUES (p_ledger, (log(2, width::numeric))::int, (leaves - width) / width, node)
              ON CONFLICT DO NOTHING;
            END IF;
          END LOOP;
          roots := roots || node;
          sizes := sizes || width;
        END LOOP;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION audit_tree_extend(text, bigint, bigint, bytea[], bigint[]) FROM PUBLIC`);

    await q.query(`
      CREATE OR REPLACE FUNCTION audit_record_checkpoint(
          p_ledger text, p_base_size bigint, p_size bigint, p_root text,
          p_signed_at timestamptz, p_key_id text, p_signature text)
        RETURNS text[]
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        ledger_size bigint;
        roots bytea[] := '{}';
        sizes bigint[] := '{}';
        width bigint;
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
        IF p_base_size > 0 THEN
          SELECT c.frontier INTO base FROM audit_checkpoint c
           WHERE c.ledger = p_ledger AND c.size = p_base_size
             AND encode(audit_frontier_root((SELECT array_agg(decode(f, 'hex') ORDER BY i) FROM unnest(c.frontier) WITH ORDINALITY AS u(f, i))), 'hex') = c.root_hash
           LIMIT 1;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no sound checkpoint of size % in ledger %', p_base_size, p_ledger USING ERRCODE = 'check_violation';
          END IF;
          width := p_base_size;
          FOR bit IN REVERSE 62 .. 0 LOOP
            IF (width >> bit) & 1 = 1 THEN sizes := sizes || (1::bigint << bit); END IF;
          END LOOP;
          IF cardinality(sizes) <> cardinality(base.frontier) THEN
            RAISE EXCEPTION 'the checkpoint of size % has a malformed frontier', p_base_size USING ERRCODE = 'check_violation';
          END IF;
          SELECT array_agg(decode(f, 'hex') ORDER BY i) INTO roots FROM unnest(base.frontier) WITH ORDINALITY AS u(f, i);
        END IF;
        SELECT t.roots, t.sizes INTO roots, sizes FROM audit_tree_extend(p_ledger, p_base_size, p_size, roots, sizes) t;
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
      END $$`);

    // The nodes of every ledger already checkpointed, up to its largest checkpoint.
    await q.query(`
      SELECT audit_tree_extend(c.ledger, 0, c.size, '{}'::bytea[], '{}'::bigint[])
        FROM (SELECT ledger, max(size) AS size FROM audit_checkpoint GROUP BY ledger) c`);
  }

  async down(q: QueryRunner): Promise<void> {
    const signature = 'audit_record_checkpoint(text, bigint, bigint, text, timestamptz, text, text)';
    await q.query(`DROP FUNCTION ${signature}`);
    await q.query(RECORD_CHECKPOINT_V1);
    await q.query(`REVOKE ALL ON FUNCTION ${signature} FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION ${signature} TO exchange_app`);
    await q.query(`DROP FUNCTION audit_tree_extend(text, bigint, bigint, bytea[], bigint[])`);
    await q.query(`DROP TABLE audit_merkle_node`);
  }
}
