import { describe, expect, it } from '@jest/globals';
import { sha256Hex } from './hash-chain.js';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  MerkleAccumulator,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hashes = Array.from({ length: 70 }, (_, i) => sha256Hex(`entry ${i}`));
const SIZES = Array.from({ length: 64 }, (_, i) => i + 1);

/** A direct transcription of RFC 6962's MTH, written independently of merkle.ts. */
function referenceRoot(leaves: string[]): string {
  const mth = (d: string[]): Buffer => {
    if (d.length === 1) return leafHash(d[0]);
    let k = 1;
    while (k << 1 < d.length) k <<= 1;
    return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
  };
  return mth(leaves).toString('hex');
}

const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('Merkle tree (RFC 6962 shape)', () => {
  it('hashes leaves and nodes with distinct prefixes', () => {
    const a = hashes[0];
    expect(leafHash(a).toString('hex')).not.toBe(nodeHash(Buffer.from(a, 'hex'), Buffer.alloc(0)).toString('hex'));
    expect(merkleRoot([a])).toBe(leafHash(a).toString('hex'));
  });

  it.each(SIZES)('root of size %i matches the reference MTH', (size) => {
    expect(merkleRoot(hashes, size)).toBe(referenceRoot(hashes.slice(0, size)));
  });

  it.each(SIZES)('every inclusion proof in a tree of size %i verifies, and a forged one does not', (size) => {
    const root = merkleRoot(hashes, size);
    for (let index = 0; index < size; index++) {
      const proof = inclusionProof(hashes, index, size);
      expect(verifyInclusion(hashes[index], index, size, proof, root)).toBe(true);
      // Wrong leaf, wrong index, wrong size, wrong root, tampered or truncated path.
      expect(verifyInclusion(hashes[size], index, size, proof, root)).toBe(false);
      if (size > 1) expect(verifyInclusion(hashes[index], (index + 1) % size, size, proof, root)).toBe(false);
      expect(verifyInclusion(hashes[index], index, size, proof, flip(root))).toBe(false);
      if (proof.length) {
        expect(verifyInclusion(hashes[index], index, size, [flip(proof[0]), ...proof.slice(1)], root)).toBe(false);
        expect(verifyInclusion(hashes[index], index, size, proof.slice(1), root)).toBe(false);
      }
      expect(verifyInclusion(hashes[index], index, size, [...proof, hashes[0]], root)).toBe(false);
    }
  });

  it.each(SIZES)('consistency proofs from every smaller size to %i verify, forged ones do not', (toSize) => {
    const toRoot = merkleRoot(hashes, toSize);
    for (let fromSize = 1; fromSize <= toSize; fromSize++) {
      const fromRoot = merkleRoot(hashes, fromSize);
      const proof = consistencyProof(hashes, fromSize, toSize);
      expect(verifyConsistency(fromSize, toSize, fromRoot, toRoot, proof)).toBe(true);
      expect(verifyConsistency(fromSize, toSize, flip(fromRoot), toRoot, proof)).toBe(false);
      expect(verifyConsistency(fromSize, toSize, fromRoot, flip(toRoot), proof)).toBe(false);
      if (proof.length) expect(verifyConsistency(fromSize, toSize, fromRoot, toRoot, [flip(proof[0]), ...proof.slice(1)])).toBe(false);
      if (fromSize < toSize) expect(verifyConsistency(fromSize, toSize, fromRoot, toRoot, proof.slice(0, -1))).toBe(false);
    }
  });

  it('rejects a rewritten history: the old root is no prefix of the new tree', () => {
    const rewritten = [...hashes.slice(0, 64)];
    rewritten[3] = sha256Hex('rewritten');
    const proof = consistencyProof(rewritten, 10, 64);
    expect(verifyConsistency(10, 64, merkleRoot(hashes, 10), merkleRoot(rewritten, 64), proof)).toBe(false);
  });

  it('refuses out-of-range sizes and indexes when proving, and malformed input when verifying', () => {
    expect(() => inclusionProof(hashes, 5, 5)).toThrow(RangeError);
    expect(() => consistencyProof(hashes, 0, 5)).toThrow(RangeError);
    expect(() => merkleRoot(hashes, 71)).toThrow(RangeError);
    expect(verifyInclusion('zz', 0, 1, [], merkleRoot(hashes, 1))).toBe(false);
    expect(verifyInclusion(hashes[0], -1, 1, [], merkleRoot(hashes, 1))).toBe(false);
    expect(verifyConsistency(5, 4, hashes[0], hashes[1], [])).toBe(false);
  });
});

describe('MerkleAccumulator', () => {
  it.each(SIZES)('gives the same root as the whole tree after %i leaves, and resumes from its frontier', (size) => {
    const acc = new MerkleAccumulator();
    hashes.slice(0, size).forEach((h) => acc.push(h));
    expect(acc.root()).toBe(merkleRoot(hashes, size));
    const resumed = new MerkleAccumulator(acc.frontier(), size);
    hashes.slice(size, 70).forEach((h) => resumed.push(h));
    expect(resumed.root()).toBe(merkleRoot(hashes, 70));
  });

  it('refuses a frontier that does not fit the size', () => {
    expect(() => new MerkleAccumulator([hashes[0]], 3)).toThrow(RangeError);
  });
});
