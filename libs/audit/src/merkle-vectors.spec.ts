import { describe, expect, it } from '@jest/globals';
import {
  consistencyProofOfLeafHashes,
  inclusionProofOfLeafHashes,
  leafHashOfData,
  MerkleAccumulator,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusionOfLeafHash,
} from './merkle.js';

/**
 * Known answers from Certificate Transparency's published test data, copied
 * as data: github.com/transparency-dev/merkle (Apache-2.0), testonly/constants.go
 * (LeafInputs, NodeHashes, RootHashes) and proof/verify_test.go
 * (inclusionProofs, consistencyProofs), the vectors Google's CT code has used
 * since RFC 6962. Nothing here is computed by the module under test.
 */
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];

/** NodeHashes()[0]: the RFC 6962 leaf hashes of LEAF_INPUTS. */
const LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];

/** RootHashes()[1..8]: tree heads of the first n leaves. */
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** CompactTrees(): the perfect subtree roots of the first n leaves, largest first (our frontier). */
const FRONTIERS: Record<number, string[]> = {
  3: [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  ],
  6: [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  ],
  7: [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  ],
};

/** inclusionProofs: [leaf (1-based, as published), tree size, audit path]. */
const INCLUSION: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

/** consistencyProofs: [size1, size2, proof]. */
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

const leaves = LEAF_INPUTS.map((h) => leafHashOfData(Buffer.from(h, 'hex')));
const flip = (hash: string): string => (hash[0] === '0' ? '1' : '0') + hash.slice(1);

describe('RFC 6962 known answers (Certificate Transparency test data)', () => {
  it('leaf hashes', () => {
    expect(leaves.map((l) => l.toString('hex'))).toEqual(LEAF_HASHES);
  });

  it.each(ROOTS.map((root, i) => [i + 1, root] as const))(
    'tree head of %i leaves, and of the published frontier (compact tree) where given',
    (size, root) => {
      expect(rootOfLeafHashes(leaves.slice(0, size))).toBe(root);
      if (FRONTIERS[size]) expect(new MerkleAccumulator(FRONTIERS[size], size).root()).toBe(root);
    },
  );

  it.each(INCLUSION)('inclusion proof of leaf %i in a tree of %i: generated as published, and verified', (leaf, size, path) => {
    expect(inclusionProofOfLeafHashes(leaves.slice(0, size), leaf - 1)).toEqual(path);
    expect(verifyInclusionOfLeafHash(LEAF_HASHES[leaf - 1], leaf - 1, size, path, ROOTS[size - 1])).toBe(true);
    expect(verifyInclusionOfLeafHash(LEAF_HASHES[leaf - 1], leaf - 1, size, path, flip(ROOTS[size - 1]))).toBe(false);
    if (path.length)
      expect(verifyInclusionOfLeafHash(LEAF_HASHES[leaf - 1], leaf - 1, size, path.slice(0, -1), ROOTS[size - 1])).toBe(false);
  });

  it.each(CONSISTENCY)('consistency proof from %i to %i: generated as published, and verified', (size1, size2, proof) => {
    expect(consistencyProofOfLeafHashes(leaves.slice(0, size2), size1)).toEqual(proof);
    expect(verifyConsistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], proof)).toBe(true);
    if (proof.length) {
      expect(verifyConsistency(size1, size2, ROOTS[size2 - 1], ROOTS[size1 - 1], proof)).toBe(false);
      expect(verifyConsistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], [flip(proof[0]), ...proof.slice(1)])).toBe(false);
    }
  });
});
