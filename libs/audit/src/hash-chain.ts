import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The prev_hash of a ledger's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records; the log adds ledger position and hashes. */
export interface AuditEvent {
  ledger: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  /** Department codes the entry concerns: they may read it. */
  parties?: string[];
  payload: Record<string, unknown>;
}

/** Every field of an entry except its own hash: exactly what the hash covers. */
export interface UnsealedEntry {
  ledger: string;
  seq: number;
  occurredAt: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  parties: string[];
  payload: unknown;
  prevHash: string;
}

export interface AuditEntryData extends UnsealedEntry {
  hash: string;
}

const string = (value: string): string => JSON.stringify(value);

/**
 * RFC 8785 (JCS) encoding of the hashed fields; see docs/audit-format.md.
 * The top level has fixed keys, written here in JCS order (JSON.stringify of
 * a string is JCS's string form); the free-form payload goes through the
 * canonicalize package. The tests hold this to canonicalize() of the whole.
 */
export function canonicalEntry(entry: UnsealedEntry): string {
  if (!Number.isSafeInteger(entry.seq)) throw new TypeError('audit entry cannot be canonicalized');
  return (
    `{"action":${string(entry.action)},"actor":${string(entry.actor)},"ledger":${string(entry.ledger)},` +
    `"occurredAt":${string(entry.occurredAt)},"parties":[${entry.parties.map(string).join(',')}],"payload":${canonicalPayload(entry.payload)},` +
    `"prevHash":${string(entry.prevHash)},"seq":${entry.seq},"subjectId":${string(entry.subjectId)},"subjectType":${string(entry.subjectType)}}`
  );
}

/** The payload's RFC 8785 text. */
export function canonicalPayload(payload: unknown): string {
  const text = canonicalize(payload);
  if (text === undefined) throw new TypeError('audit entry cannot be canonicalized');
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

export function entryHash(entry: UnsealedEntry): string {
  return sha256Hex(canonicalEntry(entry));
}

/**
 * The payload as it will read back from jsonb: plain JSON values only, so that
 * the hash computed at insert equals the hash recomputed from the stored row.
 */
export function normalizePayload(payload: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
}

/** Millisecond ISO-8601 in UTC, the precision a timestamptz returns to JavaScript. */
export function canonicalTime(at: Date): string {
  return at.toISOString();
}

export function sealEntry(event: AuditEvent, seq: number, prevHash: string, occurredAt: Date): AuditEntryData {
  const unsealed: UnsealedEntry = {
    ledger: event.ledger,
    seq,
    occurredAt: canonicalTime(occurredAt),
    actor: event.actor,
    action: event.action,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    parties: [...new Set(event.parties ?? [])].sort(),
    payload: normalizePayload(event.payload),
    prevHash,
  };
  return { ...unsealed, hash: entryHash(unsealed) };
}

export type ChainFault =
  { seq: number; reason: 'gap'; expectedSeq: number } | { seq: number; reason: 'broken-link' } | { seq: number; reason: 'hash-mismatch' };

/**
 * Checks entries in key order, one at a time, so that a caller can stream a
 * ledger of any length through it.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  private fault: ChainFault | null = null;
  /** The entry hashes seen so far, for comparison with a checkpoint. */
  readonly hashes: string[] = [];

  constructor(private readonly keepHashes = false) {}

  get checked(): number {
    return this.expectedSeq - 1;
  }

  get firstFault(): ChainFault | null {
    return this.fault;
  }

  /** Returns false once the chain is broken; later entries are not examined. */
  push(entry: AuditEntryData): boolean {
    if (this.fault) return false;
    if (entry.seq !== this.expectedSeq) {
      this.fault = { seq: Math.min(entry.seq, this.expectedSeq), reason: 'gap', expectedSeq: this.expectedSeq };
    } else if (entry.prevHash !== this.previousHash) {
      this.fault = { seq: entry.seq, reason: 'broken-link' };
    } else if (entryHash(entry) !== entry.hash) {
      this.fault = { seq: entry.seq, reason: 'hash-mismatch' };
    }
    if (this.fault) return false;
    this.expectedSeq += 1;
    this.previousHash = entry.hash;
    if (this.keepHashes) this.hashes.push(entry.hash);
    return true;
  }
}
