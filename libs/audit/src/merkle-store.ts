import type { DataSource } from 'typeorm';
import { completePieces, consistencyPath, foldPieces, inclusionPath, leafHash, rootOfLeafHashes, type SubtreeHash } from './merkle.js';

/** audit_merkle_node keeps complete subtrees of 2^8 leaves and more (see the AuditMerkleNodes migration). */
const STORED_LEVEL = 8;
const NONE = Buffer.alloc(32);

type Piece = [number, number];
const key = ([from, to]: Piece) => `${from}:${to}`;
const levelOf = (width: number) => Math.log2(width);

/**
 * Proofs from stored subtree hashes: a proof asks for O(log n) subtrees, each
 * a stored node or built from at most 255 entry hashes, so a receipt or a
 * consistency proof costs two queries and O(log n) rows whatever the
 * ledger's length. A node not stored (yet) is built from its entries.
 */
export class MerkleStore {
  constructor(private readonly db: DataSource) {}

  async inclusionProof(ledger: string, index: number, size: number): Promise<string[]> {
    const wanted: Piece[] = [];
    inclusionPath(index, size, (from, to) => (wanted.push([from, to]), NONE));
    const subtree = await this.subtrees(ledger, wanted);
    return inclusionPath(index, size, subtree).map((h) => h.toString('hex'));
  }

  /** The consistency proof from fromSize to toSize, and the root of the first fromSize leaves as stored now. */
  async consistency(ledger: string, fromSize: number, toSize: number): Promise<{ proof: string[]; fromRoot: string }> {
    const wanted: Piece[] = [[0, fromSize]];
    consistencyPath(fromSize, toSize, (from, to) => (wanted.push([from, to]), NONE));
    const subtree = await this.subtrees(ledger, wanted);
    return {
      proof: consistencyPath(fromSize, toSize, subtree).map((h) => h.toString('hex')),
      fromRoot: subtree(0, fromSize).toString('hex'),
    };
  }

  /** Fetches what the wanted subtrees are made of, in two queries, and returns their hashes. */
  private async subtrees(ledger: string, wanted: Piece[]): Promise<SubtreeHash> {
    const pieces = new Map<string, Piece>();
    for (const [from, to] of wanted) for (const p of completePieces(from, to)) pieces.set(key(p), p);
    const big = [...pieces.values()].filter(([from, to]) => levelOf(to - from) >= STORED_LEVEL);
    const nodes = new Map<string, Buffer>();
    if (big.length) {
      const rows = await this.db.query<{ level: number; idx: string; hash: Buffer }[]>(
        `SELECT n.level, n.idx, n.hash FROM audit_merkle_node n
           JOIN unnest($2::smallint[], $3::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx
          WHERE n.ledger = $1`,
        [ledger, big.map(([f, t]) => levelOf(t - f)), big.map(([f, t]) => f / (t - f))],
      );
      for (const r of rows) {
        const width = 2 ** r.level;
        const from = Number(r.idx) * width;
        nodes.set(key([from, from + width]), r.hash);
      }
    }
    // Everything else is built from entry hashes: small pieces, and any node not stored.
    const fromLeaves = [...pieces.values()].filter((p) => !nodes.has(key(p)));
    const leafOf = new Map<number, Buffer>();
    if (fromLeaves.length) {
      // The seqs themselves, not ranges: the planner cannot estimate a join on ranges and
      // reads the whole ledger for it; a list of a few hundred keys it reads through the key.
      const seqs: number[] = [];
      for (const [from, to] of fromLeaves) for (let i = from; i < to; i++) seqs.push(i + 1);
      const rows = await this.db.query<{ seq: string; hash: string }[]>(
        `SELECT seq, hash FROM audit_entry WHERE ledger = $1 AND seq = ANY($2::bigint[])`,
        [ledger, seqs],
      );
      for (const r of rows) leafOf.set(Number(r.seq) - 1, leafHash(r.hash));
    }
    const pieceHash = ([from, to]: Piece): Buffer => {
      const stored = nodes.get(key([from, to]));
      if (stored) return stored;
      const leaves: Buffer[] = [];
      for (let i = from; i < to; i++) {
        const leaf = leafOf.get(i);
        if (!leaf) throw new RangeError(`entry ${i + 1} of ledger ${ledger} is missing`);
        leaves.push(leaf);
      }
      return Buffer.from(rootOfLeafHashes(leaves), 'hex');
    };
    return (from, to) => foldPieces(completePieces(from, to).map(pieceHash));
  }
}
