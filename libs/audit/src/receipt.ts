import type { KeyObject } from 'node:crypto';
import { keyIdOf, signerOf, type CheckpointData } from './checkpoint.js';
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

const isKeyList = (keys: KeyObject | readonly KeyObject[]): keys is readonly KeyObject[] => Array.isArray(keys);

/** A payload JSON can carry but JCS cannot encode (1e400 reads as Infinity) hashes to nothing. */
function hashOf(entry: AuditEntryData): string | null {
  try {
    return entryHash(entry);
  } catch {
    return null;
  }
}

/**
 * The whole receipt as one JSON value, in the form this document describes
 * (positions as decimal strings): what a client keeps, whatever else it selects.
 */
export function receiptDocument(r: ReceiptData): Record<string, unknown> {
  const c = r.checkpoint;
  return {
    ledger: r.ledger,
    seq: String(r.seq),
    entryHash: r.entryHash,
    entry: r.entry ? { ...r.entry, seq: String(r.entry.seq) } : null,
    checkpoint: c
      ? { ledger: c.ledger, size: String(c.size), rootHash: c.rootHash, signedAt: c.signedAt, keyId: c.keyId, signature: c.signature }
      : null,
    proof: r.proof,
  };
}

export type ReceiptVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Verifies a receipt offline: the entry hashes to entryHash (and its own hash
 * field says the same), the checkpoint is signed by the key its keyId names,
 * one of `keys`, and the proof places the entry in that checkpoint's tree.
 */
export function verifyReceipt(receipt: ReceiptData, keys: KeyObject | readonly KeyObject[]): ReceiptVerdict {
  const { checkpoint } = receipt;
  if (receipt.entry) {
    if (receipt.entry.hash !== receipt.entryHash) return { ok: false, reason: "the entry's hash field is not entryHash" };
    if (hashOf(receipt.entry) !== receipt.entryHash) return { ok: false, reason: 'the entry does not hash to entryHash' };
    if (receipt.entry.ledger !== receipt.ledger || receipt.entry.seq !== receipt.seq) {
      return { ok: false, reason: 'the entry is not the one the receipt names' };
    }
  }
  if (!checkpoint) return { ok: false, reason: 'no checkpoint covers this entry yet' };
  if (checkpoint.ledger !== receipt.ledger) return { ok: false, reason: 'the checkpoint is for another ledger' };
  const known: readonly KeyObject[] = isKeyList(keys) ? keys : [keys];
  if (!known.some((k) => keyIdOf(k) === checkpoint.keyId)) {
    return { ok: false, reason: `the checkpoint names key ${checkpoint.keyId}, not the key given (${known.map(keyIdOf).join(', ')})` };
  }
  if (!signerOf(checkpoint, known)) return { ok: false, reason: 'the checkpoint signature does not verify with its key' };
  if (receipt.seq > checkpoint.size) return { ok: false, reason: `seq ${receipt.seq} is past the checkpoint size ${checkpoint.size}` };
  if (!verifyInclusion(receipt.entryHash, receipt.seq - 1, checkpoint.size, receipt.proof, checkpoint.rootHash)) {
    return { ok: false, reason: 'the inclusion proof does not lead to the checkpoint root' };
  }
  return { ok: true };
}

export class ReceiptFormatError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(o: Record<string, unknown>, name: string, where: string): string {
  if (typeof o[name] !== 'string') throw new ReceiptFormatError(`${where}${name} must be a string`);
  return o[name];
}

/** seq and size travel as JSON numbers or, from GraphQL's BigInt, as decimal strings: both are read. */
function position(o: Record<string, unknown>, name: string, where: string): number {
  const v = o[name];
  // Written as the service writes it (a GraphQL BigInt is a string): no sign, no leading zero.
  const n = typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw new ReceiptFormatError(`${where}${name} must be a positive whole number`);
  return n;
}

function hashes(o: Record<string, unknown>, name: string): string[] {
  const v = o[name];
  if (!Array.isArray(v) || !v.every((p) => typeof p === 'string')) throw new ReceiptFormatError(`${name} must be a list of hashes`);
  return v;
}

export function parseCheckpoint(v: unknown): CheckpointData | null {
  if (v === null || v === undefined) return null;
  if (!isObject(v)) throw new ReceiptFormatError('checkpoint must be an object or null');
  const w = 'checkpoint.';
  return {
    ledger: text(v, 'ledger', w),
    size: position(v, 'size', w),
    rootHash: text(v, 'rootHash', w),
    signedAt: text(v, 'signedAt', w),
    keyId: text(v, 'keyId', w),
    signature: text(v, 'signature', w),
  };
}

/** The same, for a checkpoint found where one may or may not be (an anchor entry's payload): null when it is not one. */
export function readCheckpoint(v: unknown): CheckpointData | null {
  try {
    return parseCheckpoint(v);
  } catch (error) {
    if (error instanceof ReceiptFormatError) return null;
    throw error;
  }
}

function parseEntry(v: unknown): AuditEntryData | null {
  if (v === null || v === undefined) return null;
  if (!isObject(v)) throw new ReceiptFormatError('entry must be an object or null');
  const w = 'entry.';
  if (!Array.isArray(v.parties) || !v.parties.every((p) => typeof p === 'string'))
    throw new ReceiptFormatError('entry.parties must be a list of strings');
  if (!('payload' in v)) throw new ReceiptFormatError('entry.payload is missing');
  return {
    ledger: text(v, 'ledger', w),
    seq: position(v, 'seq', w),
    occurredAt: text(v, 'occurredAt', w),
    actor: text(v, 'actor', w),
    action: text(v, 'action', w),
    subjectType: text(v, 'subjectType', w),
    subjectId: text(v, 'subjectId', w),
    parties: v.parties,
    payload: v.payload,
    prevHash: text(v, 'prevHash', w),
    hash: text(v, 'hash', w),
  };
}

/** The path of the first value of `shown` that `signed` does not hold alike (scalars compared as text), if any. */
function firstDifference(shown: unknown, signed: unknown, path = ''): string | undefined {
  const here = path || 'the receipt';
  if (shown === null || typeof shown !== 'object') {
    if (signed !== null && typeof signed === 'object') return here;
    return String(shown) === String(signed) ? undefined : here;
  }
  if (signed === null || typeof signed !== 'object' || Array.isArray(shown) !== Array.isArray(signed)) return here;
  if (Array.isArray(shown) && shown.length !== (signed as unknown[]).length) return here;
  for (const [key, value] of Object.entries(shown)) {
    if (key === '__typename') continue;
    const at = path ? `${path}.${key}` : key;
    if (!Object.hasOwn(signed, key)) return at;
    const differs = firstDifference(value, (signed as Record<string, unknown>)[key], at);
    if (differs !== undefined) return differs;
  }
  return undefined;
}

/**
 * Reads untrusted JSON into a receipt. Any JSON at all is either a receipt or
 * one clear sentence of what is wrong with it. A receipt fetched over GraphQL
 * may be the object itself or carry it whole in its `document` field.
 */
export function parseReceipt(json: string): ReceiptData {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('the receipt is not valid JSON');
  }
  try {
    if (isObject(value) && isObject(value.document)) {
      // What a reader sees beside the document must be what the document (the part verified) says.
      const { document, ...shown } = value;
      const differs = firstDifference(shown, document);
      if (differs !== undefined)
        throw new ReceiptFormatError(`${differs} beside its document differs from the document, which is what verifies`);
      value = document;
    }
    if (!isObject(value)) throw new ReceiptFormatError('a receipt is a JSON object');
    return {
      ledger: text(value, 'ledger', ''),
      seq: position(value, 'seq', ''),
      entryHash: text(value, 'entryHash', ''),
      proof: hashes(value, 'proof'),
      checkpoint: parseCheckpoint(value.checkpoint),
      entry: parseEntry(value.entry),
    };
  } catch (error) {
    if (error instanceof ReceiptFormatError) throw new Error(`not a receipt: ${error.message}`);
    throw error;
  }
}
