import type { KeyObject } from 'node:crypto';
import { verifyCheckpointSignature, type CheckpointData } from './checkpoint.js';
import { entryHash, type AuditEntryData } from './hash-chain.js';
import { verifyInclusion } from './merkle.js';

/** What a department keeps as proof that an entry is in the log. */
export interface ReceiptData {
  ledger: string;
  seq: number;
  entryHash: string;
  /** The entry itself, when the receipt carries it, so its hash can be recomputed. */
  entry?: AuditEntryData | null;
  checkpoint: CheckpointData | null;
  proof: string[];
}

export type ReceiptVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Verifies a receipt offline: the entry hashes to entryHash, the checkpoint is
 * signed by the given key, and the proof places the entry in that checkpoint's tree.
 */
export function verifyReceipt(receipt: ReceiptData, publicKey: KeyObject): ReceiptVerdict {
  const { checkpoint } = receipt;
  if (receipt.entry) {
    if (entryHash(receipt.entry) !== receipt.entryHash) return { ok: false, reason: 'the entry does not hash to entryHash' };
    if (receipt.entry.ledger !== receipt.ledger || receipt.entry.seq !== receipt.seq) {
      return { ok: false, reason: 'the entry is not the one the receipt names' };
    }
  }
  if (!checkpoint) return { ok: false, reason: 'no checkpoint covers this entry yet' };
  if (checkpoint.ledger !== receipt.ledger) return { ok: false, reason: 'the checkpoint is for another ledger' };
  if (!verifyCheckpointSignature(checkpoint, publicKey)) return { ok: false, reason: 'the checkpoint signature does not verify with this key' };
  if (receipt.seq > checkpoint.size) return { ok: false, reason: `seq ${receipt.seq} is past the checkpoint size ${checkpoint.size}` };
  if (!verifyInclusion(receipt.entryHash, receipt.seq - 1, checkpoint.size, receipt.proof, checkpoint.rootHash)) {
    return { ok: false, reason: 'the inclusion proof does not lead to the checkpoint root' };
  }
  return { ok: true };
}

/** Parses untrusted JSON into a receipt, with one clear message for anything malformed. */
export function parseReceipt(json: string): ReceiptData {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('the receipt is not valid JSON');
  }
  const r = value as Partial<ReceiptData> & { seq?: unknown };
  const seq = typeof r.seq === 'string' ? Number(r.seq) : r.seq;
  if (typeof r !== 'object' || r === null || typeof r.ledger !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new Error('the receipt needs a ledger and a positive seq');
  }
  if (typeof r.entryHash !== 'string' || !Array.isArray(r.proof) || !r.proof.every((p) => typeof p === 'string')) {
    throw new Error('the receipt needs an entryHash and a proof (a list of hashes)');
  }
  const checkpoint = r.checkpoint ? { ...r.checkpoint, size: Number(r.checkpoint.size) } : null;
  const entry = r.entry ? { ...r.entry, seq: Number(r.entry.seq) } : null;
  return { ledger: r.ledger, seq, entryHash: r.entryHash, proof: r.proof, checkpoint, entry };
}
