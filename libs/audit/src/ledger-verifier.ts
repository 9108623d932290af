import type { KeyObject } from 'node:crypto';
import { signerOf, type CheckpointData } from './checkpoint.js';
import { ChainVerifier, GENESIS_HASH, type AuditEntryData, type ChainFault } from './hash-chain.js';
import { MerkleAccumulator } from './merkle.js';
import type { RangeResult } from './range-verifier.js';

export interface VerificationResult {
  ledger: string;
  ok: boolean;
  checked: number;
  /** The first entry that does not verify (for a rewrite, the first that may have been rewritten). */
  firstBadSeq: number | null;
  reason: string | null;
  checkpointsChecked: number;
}

/**
 * Verifies a ledger streamed in seq order: every link and hash, and every
 * signed checkpoint's root against the entries as they are now. The chain
 * alone proves the entries agree with each other; only the checkpoints prove
 * they are the entries that were there when each checkpoint was signed.
 */
export class LedgerVerifier {
  private readonly chain = new ChainVerifier();
  private readonly tree = new MerkleAccumulator();
  private readonly pending: CheckpointData[];
  /** Checkpoints no known key signed: they prove nothing about the entries, and are reported once the chain is checked. */
  private readonly forged: CheckpointData[] = [];
  private lastMatchedSize = 0;
  private checkpointsChecked = 0;
  private fault: { seq: number | null; reason: string } | null = null;
  /** For ranges (pushRange): entries joined so far, and the last one's hash. */
  private joined = 0;
  private joinedHash: string | null = null;

  constructor(
    readonly ledger: string,
    checkpoints: CheckpointData[],
    publicKeys: KeyObject[] = [],
  ) {
    const sorted = [...checkpoints].sort((a, b) => a.size - b.size);
    if (publicKeys.length) this.forged = sorted.filter((c) => !signerOf(c, publicKeys));
    this.pending = sorted.filter((c) => !this.forged.includes(c));
  }

  /** False once a fault is found. */
  get ok(): boolean {
    return this.fault === null;
  }

  push(entry: AuditEntryData): boolean {
    if (this.fault) return false;
    if (!this.chain.push(entry)) {
      this.fault = chainFault(this.chain.firstFault!);
      return false;
    }
    this.tree.push(entry.hash);
    while (this.pending.length && this.pending[0].size === this.tree.size) {
      if (!this.checkpointMatches(this.pending.shift()!, this.tree.root())) return false;
    }
    return true;
  }

  /**
   * Joins the next range verified on its own (verifyRange), in seq order: its
   * first link against the range before, then the checkpoints that fall in it
   * (this tree's subtrees followed by the range's own at that size), in the
   * order push would have met them, so the first fault is the same.
   */
  pushRange(range: RangeResult): boolean {
    if (this.fault) return false;
    if (range.count === 0 && range.fault === null) return true;
    if (this.joined + 1 !== range.from) {
      this.fault = chainFault({ seq: this.joined + 1, reason: 'gap', expectedSeq: this.joined + 1 });
      return false;
    }
    if (range.firstPrevHash !== null && range.firstPrevHash !== (this.joinedHash ?? GENESIS_HASH)) {
      this.fault = chainFault({ seq: range.from, reason: 'broken-link' });
      return false;
    }
    const end = range.from - 1 + range.count;
    const frontiers = new Map(range.frontiers.map((f) => [f.size, f.frontier]));
    // A size never reached exactly (as push would see it) blocks the checkpoints after it.
    while (this.pending.length && this.pending[0].size <= end && frontiers.has(this.pending[0].size)) {
      const checkpoint = this.pending.shift()!;
      const root = this.tree.rootWith(frontiers.get(checkpoint.size)!.map((h) => Buffer.from(h, 'hex')));
      if (!this.checkpointMatches(checkpoint, root)) {
        this.joined = checkpoint.size;
        return false;
      }
    }
    this.joined = end;
    if (range.fault) {
      this.fault = chainFault(range.fault);
      return false;
    }
    perfectSizes(range.count).forEach((size, i) => this.tree.pushSubtree(Buffer.from(range.frontier[i], 'hex'), size));
    this.joinedHash = range.lastHash;
    return true;
  }

  private checkpointMatches(checkpoint: CheckpointData, root: string): boolean {
    this.checkpointsChecked += 1;
    if (checkpoint.rootHash !== root) {
      this.fault = {
        seq: this.lastMatchedSize + 1,
        reason: `rewritten: the entries no longer match the checkpoint of size ${checkpoint.size} signed at ${checkpoint.signedAt}; the change lies in seq ${this.lastMatchedSize + 1}..${checkpoint.size}`,
      };
      return false;
    }
    this.lastMatchedSize = checkpoint.size;
    return true;
  }

  finish(): VerificationResult {
    const checked = Math.max(this.chain.checked, this.joined);
    if (!this.fault && this.pending.length) {
      const lost = this.pending[this.pending.length - 1];
      this.fault = {
        seq: checked + 1,
        reason: `truncated: a checkpoint signed at ${lost.signedAt} covers ${lost.size} entries, the ledger now has ${checked}`,
      };
    }
    // After the chain: a forged row must not hide a fault in the entries, which matters more.
    if (!this.fault && this.forged.length) {
      this.fault = { seq: null, reason: `the checkpoint of size ${this.forged[0].size} is not signed by a known key` };
    }
    return {
      ledger: this.ledger,
      ok: this.fault === null,
      checked,
      firstBadSeq: this.fault?.seq ?? null,
      reason: this.fault?.reason ?? null,
      checkpointsChecked: this.checkpointsChecked,
    };
  }
}

function chainFault(f: ChainFault): { seq: number; reason: string } {
  const why = {
    gap: `the entry expected here is seq ${f.reason === 'gap' ? f.expectedSeq : ''}`,
    'broken-link': 'prev_hash is not the previous entry hash',
    'hash-mismatch': 'the hash does not match the entry',
  }[f.reason];
  return { seq: f.seq, reason: `${f.reason}: ${why}` };
}

/** The sizes of the perfect subtrees of n leaves, largest first (a frontier's shape). */
function perfectSizes(n: number): number[] {
  const sizes: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(n, 1))); bit >= 1; bit /= 2) {
    if (n >= bit) {
      sizes.push(bit);
      n -= bit;
    }
  }
  return sizes;
}
