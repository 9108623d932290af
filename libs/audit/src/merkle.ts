import { hash } from 'node:crypto';

/**
 * Merkle trees in the shape of RFC 6962 / RFC 9162 (Certificate Transparency):
 * leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
 * A leaf's data is the 32-byte entry hash. Hashes travel as lowercase hex.
 */

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

export function leafHash(entryHashHex: string): Buffer {
  return leafHashOfData(Buffer.from(entryHashHex, 'hex'));
}

/** One buffer for every entry leaf's input: hashing is synchronous, so no two calls share it at once. */
const leafInput = Buffer.alloc(33, LEAF_PREFIX);

/** RFC 6962's leaf hash of arbitrary data (an entry's leaf is this over its 32-byte hash). */
export function leafHashOfData(data: Uint8Array): Buffer {
  if (data.length !== 32) return hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
  leafInput.set(data, 1);
  return hash('sha256', leafInput, 'buffer');
}

/** One buffer for every node's input: hashing is synchronous, so no two calls share it at once. */
const nodeInput = Buffer.alloc(65, NODE_PREFIX);

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  if (left.length !== 32 || right.length !== 32) return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 33);
  return hash('sha256', nodeInput, 'buffer');
}

/** The largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Merkle tree hash of leaves [from, to) of an array of leaf hashes. */
function subtreeHash(leaves: Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 1) return leaves[from];
  const k = split(n);
  return nodeHash(subtreeHash(leaves, from, from + k), subtreeHash(leaves, from + k, to));
}

function assertSize(size: number, available: number): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > available) {
    throw new RangeError(`tree size ${size} is outside 1..${available}`);
  }
}

const hex = (hashes: Buffer[]): string[] => hashes.map((h) => h.toString('hex'));

/** Root of the tree over the first `size` entry hashes. */
export function merkleRoot(entryHashes: string[], size = entryHashes.length): string {
  assertSize(size, entryHashes.length);
  return rootOfLeafHashes(entryHashes.slice(0, size).map(leafHash));
}

/** Root of the tree over these leaf hashes (MTH of RFC 6962). */
export function rootOfLeafHashes(leaves: Buffer[]): string {
  assertSize(leaves.length, leaves.length);
  return subtreeHash(leaves, 0, leaves.length).toString('hex');
}

/** Audit path of leaf `index` in the tree of the first `size` entries (RFC 6962 §2.1.1). */
export function inclusionProof(entryHashes: string[], index: number, size = entryHashes.length): string[] {
  assertSize(size, entryHashes.length);
  return inclusionProofOfLeafHashes(entryHashes.slice(0, size).map(leafHash), index);
}

export function inclusionProofOfLeafHashes(leaves: Buffer[], index: number): string[] {
  assertSize(leaves.length, leaves.length);
  return hex(inclusionPath(index, leaves.length, (from, to) => subtreeHash(leaves, from, to)));
}

/**
 * Subtree of leaves [from, to): the hash of an RFC 6962 subtree, as the proof
 * walks below ask for it (a complete aligned subtree, or one on the right edge).
 */
export type SubtreeHash = (from: number, to: number) => Buffer;

/** The audit path of RFC 6962 §2.1.1, over any source of subtree hashes. */
export function inclusionPath(index: number, size: number, subtree: SubtreeHash): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside 0..${size - 1}`);
  }
  const path: Buffer[] = [];
  const walk = (m: number, from: number, to: number): void => {
    const n = to - from;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, from, from + k);
      path.push(subtree(from + k, to));
    } else {
      walk(m - k, from + k, to);
      path.push(subtree(from, from + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** Proof that the tree of `fromSize` entries is a prefix of the tree of `toSize` (RFC 6962 §2.1.2). */
export function consistencyProof(entryHashes: string[], fromSize: number, toSize: number): string[] {
  assertSize(toSize, entryHashes.length);
  return consistencyProofOfLeafHashes(entryHashes.slice(0, toSize).map(leafHash), fromSize);
}

export function consistencyProofOfLeafHashes(leaves: Buffer[], fromSize: number): string[] {
  assertSize(leaves.length, leaves.length);
  return hex(consistencyPath(fromSize, leaves.length, (from, to) => subtreeHash(leaves, from, to)));
}

/** The consistency proof of RFC 6962 §2.1.2, over any source of subtree hashes. */
export function consistencyPath(fromSize: number, toSize: number, subtree: SubtreeHash): Buffer[] {
  assertSize(fromSize, toSize);
  const proof: Buffer[] = [];
  const walk = (m: number, from: number, to: number, complete: boolean): void => {
    const n = to - from;
    if (m === n) {
      if (!complete) proof.push(subtree(from, to));
      return;
    }
    const k = split(n);
    if (m <= k) {
      walk(m, from, from + k, complete);
      proof.push(subtree(from + k, to));
    } else {
      walk(m - k, from + k, to, false);
      proof.push(subtree(from, from + k));
    }
  };
  walk(fromSize, 0, toSize, true);
  return proof;
}

/**
 * The complete aligned subtrees that make up leaves [from, to), largest
 * first: what a subtree on the right edge of a tree is built from.
 */
export function completePieces(from: number, to: number): [number, number][] {
  const pieces: [number, number][] = [];
  while (from < to) {
    let width = 1;
    while (width * 2 <= to - from) width *= 2;
    pieces.push([from, from + width]);
    from += width;
  }
  return pieces;
}

/** Combines the pieces of completePieces(from, to) into the RFC 6962 hash of [from, to). */
export function foldPieces(hashes: Buffer[]): Buffer {
  let acc = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i], acc);
  return acc;
}

const isHash = (value: string): boolean => /^[0-9a-f]{64}$/.test(value);

/** RFC 9162 §2.1.3.2. Never throws: a malformed proof simply does not verify. */
export function verifyInclusion(entryHashHex: string, index: number, size: number, proof: string[], rootHex: string): boolean {
  return isHash(entryHashHex) && verifyInclusionOfLeafHash(leafHash(entryHashHex).toString('hex'), index, size, proof, rootHex);
}

/** verifyInclusion, given the leaf hash itself (for leaves that are not entry hashes). */
export function verifyInclusionOfLeafHash(leafHashHex: string, index: number, size: number, proof: string[], rootHex: string): boolean {
  if (!isHash(leafHashHex) || !isHash(rootHex) || !proof.every(isHash)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r: Buffer = Buffer.from(leafHashHex, 'hex');
  for (const hex of proof) {
    if (sn === 0n) return false;
    const p = Buffer.from(hex, 'hex');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.toString('hex') === rootHex;
}

/** RFC 9162 §2.1.4.2. Never throws: a malformed proof simply does not verify. */
export function verifyConsistency(fromSize: number, toSize: number, fromRoot: string, toRoot: string, proof: string[]): boolean {
  if (!isHash(fromRoot) || !isHash(toRoot) || !proof.every(isHash)) return false;
  if (!Number.isSafeInteger(fromSize) || !Number.isSafeInteger(toSize) || fromSize < 1 || fromSize > toSize) return false;
  if (fromSize === toSize) return proof.length === 0 && fromRoot === toRoot;
  const path: Buffer[] = proof.map((hex) => Buffer.from(hex, 'hex'));
  // When the old tree is a complete subtree its root is the proof's implicit first node.
  if ((fromSize & (fromSize - 1)) === 0) path.unshift(Buffer.from(fromRoot, 'hex'));
  if (path.length === 0) return false;
  let fn = BigInt(fromSize - 1);
  let sn = BigInt(toSize - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = path[0];
  let sr: Buffer = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && fr.toString('hex') === fromRoot && sr.toString('hex') === toRoot;
}

/**
 * The root of a growing tree in O(log n) memory: the roots of its perfect
 * subtrees, largest first (a "compact range" from the left edge). Appending a
 * leaf merges equal-sized subtrees; the RFC 6962 root is their right fold.
 */
export class MerkleAccumulator {
  private readonly roots: Buffer[] = [];
  private readonly sizes: number[] = [];

  constructor(
    frontier: string[] = [],
    private leaves = 0,
  ) {
    // A frontier is the subtree roots of `leaves` leaves, largest first: sizes follow from the bits.
    let remaining = leaves;
    const sizes: number[] = [];
    for (let bit = 2 ** Math.floor(Math.log2(Math.max(leaves, 1))); bit >= 1; bit /= 2) {
      if (remaining >= bit) {
        sizes.push(bit);
        remaining -= bit;
      }
    }
    if (sizes.length !== frontier.length) throw new RangeError(`a frontier of ${frontier.length} roots does not describe ${leaves} leaves`);
    frontier.forEach((hex, i) => {
      this.roots.push(Buffer.from(hex, 'hex'));
      this.sizes.push(sizes[i]);
    });
  }

  get size(): number {
    return this.leaves;
  }

  push(entryHashHex: string): void {
    this.pushSubtree(leafHash(entryHashHex), 1);
  }

  /**
   * Appends a perfect subtree of `size` leaves (a power of two, no larger than
   * the smallest subtree held), e.g. the root of a range verified elsewhere.
   */
  pushSubtree(subtreeRoot: Buffer, size: number): void {
    let root = subtreeRoot;
    const added = size;
    while (this.sizes.length && this.sizes[this.sizes.length - 1] === size) {
      root = nodeHash(this.roots.pop() as Buffer, root);
      size += this.sizes.pop() as number;
    }
    this.roots.push(root);
    this.sizes.push(size);
    this.leaves += added;
  }

  root(): string {
    return this.rootWith([]);
  }

  /**
   * The root of this tree followed by the given perfect subtrees (largest
   * first, each smaller than any held here): the root at a size reached
   * inside a range whose own frontier is `after`.
   */
  rootWith(after: Buffer[]): string {
    const all = after.length ? [...this.roots, ...after] : this.roots;
    if (all.length === 0) throw new RangeError('an empty tree has no root here');
    let acc = all[all.length - 1];
    for (let i = all.length - 2; i >= 0; i--) acc = nodeHash(all[i], acc);
    return acc.toString('hex');
  }

  frontier(): string[] {
    return this.roots.map((r) => r.toString('hex'));
  }
}

/**
 * The root a stored frontier stands for, or null when the frontier cannot be
 * the frontier of `size` leaves (wrong count or malformed hashes).
 */
export function frontierRoot(frontier: unknown, size: number): string | null {
  if (!Array.isArray(frontier) || !frontier.every((h) => typeof h === 'string' && isHash(h))) return null;
  if (!Number.isSafeInteger(size) || size < 1) return null;
  try {
    return new MerkleAccumulator(frontier as string[], size).root();
  } catch {
    return null;
  }
}
