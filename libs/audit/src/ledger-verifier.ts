import type { KeyObject } from 'node:crypto';
import { signerOf, type CheckpointData } from './checkpoint.js';
import { ChainVerifier, type AuditEntryData } from './hash-chain.js';
import { MerkleAccumulator } from './merkle.js';

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
  private lastMatchedSize = 0;
  private checkpointsChecked = 0;
  private fault: { seq: number | null; reason: string } | null = null;

  constructor(
    readonly ledger: string,
    checkpoints: CheckpointData[],
    publicKeys: KeyObject[] = [],
  ) {
    this.pending = [...checkpoints].sort((a, b) => a.size - b.size);
    if (publicKeys.length) {
      const forged = this.pending.find((c) => !signerOf(c, publicKeys));
      if (forged) this.fault = { seq: null, reason: `the checkpoint of size ${forged.size} is not signed by a known key` };
    }
  }

  push(entry: AuditEntryData): boolean {
    if (this.fault) return false;
    if (!this.chain.push(entry)) {
      const f = this.chain.firstFault!;
      const why = { gap: `the entry expected here is seq ${f.reason === 'gap' ? f.expectedSeq : ''}`, 'broken-link': 'prev_hash is not the previous entry hash', 'hash-mismatch': 'the hash does not match the entry' }[f.reason];
      this.fault = { seq: f.seq, reason: `${f.reason}: ${why}` };
      return false;
    }
    this.tree.push(entry.hash);
    while (this.pending.length && this.pending[0].size === this.tree.size) {
      const checkpoint = this.pending.shift()!;
      this.checkpointsChecked += 1;
      if (checkpoint.rootHash !== this.tree.root()) {
        this.fault = {
          seq: this.lastMatchedSize + 1,
          reason: `rewritten: the entries no longer match the checkpoint of size ${checkpoint.size} signed at ${checkpoint.signedAt}; the change lies in seq ${this.lastMatchedSize + 1}..${checkpoint.size}`,
        };
        return false;
      }
      this.lastMatchedSize = checkpoint.size;
    }
    return true;
  }

  finish(): VerificationResult {
    const checked = this.chain.checked;
    if (!this.fault && this.pending.length) {
      const lost = this.pending[this.pending.length - 1];
      this.fault = { seq: checked + 1, reason: `truncated: a checkpoint signed at ${lost.signedAt} covers ${lost.size} entries, the ledger now has ${checked}` };
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
