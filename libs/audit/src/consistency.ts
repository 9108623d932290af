import type { KeyObject } from 'node:crypto';
import { signerOf, type CheckpointData } from './checkpoint.js';
import { verifyConsistency } from './merkle.js';
import { parseCheckpoint, ReceiptFormatError } from './receipt.js';

/** What a checker needs from the service: its latest signed head of a ledger, and consistency proofs. */
export interface LogSource {
  latestCheckpoint(ledger: string): Promise<CheckpointData | null>;
  consistencyProof(ledger: string, fromSize: number, toSize: number): Promise<string[]>;
}

export type ExtensionVerdict =
  | { ok: true; kept: CheckpointData; current: CheckpointData }
  | {
      ok: false;
      kind: 'invalid-kept' | 'forged' | 'truncated' | 'split-view' | 'rewritten';
      reason: string;
      kept: CheckpointData;
      current: CheckpointData | null;
    };

const head = (c: CheckpointData) => `size ${c.size} root ${c.rootHash.slice(0, 16)}… signed ${c.signedAt}`;

/**
 * Does the service's log today extend a checkpoint kept earlier? Everything is
 * checked here with the keys the caller holds; only the proof is fetched.
 * Two validly signed heads that no proof joins are evidence of a rewritten
 * history or of a split view (different logs shown to different parties).
 */
export async function checkExtends(kept: CheckpointData, source: LogSource, keys: readonly KeyObject[]): Promise<ExtensionVerdict> {
  if (!signerOf(kept, keys))
    return {
      ok: false,
      kind: 'invalid-kept',
      reason: `the kept checkpoint (${head(kept)}) does not verify with the keys given`,
      kept,
      current: null,
    };
  return checkExtendsTo(kept, await source.latestCheckpoint(kept.ledger), source, keys);
}

/** As checkExtends, against a head already fetched (from a bundle, say). */
export async function checkExtendsTo(
  kept: CheckpointData,
  current: CheckpointData | null,
  source: LogSource,
  keys: readonly KeyObject[],
): Promise<ExtensionVerdict> {
  if (!current)
    return {
      ok: false,
      kind: 'truncated',
      reason: `the service has no signed checkpoint of ledger ${kept.ledger}; you hold ${head(kept)}`,
      kept,
      current,
    };
  if (current.ledger !== kept.ledger || !signerOf(current, keys)) {
    return {
      ok: false,
      kind: 'forged',
      reason: `the service's checkpoint of ledger ${kept.ledger} does not verify with the keys given`,
      kept,
      current,
    };
  }
  if (current.size < kept.size) {
    return {
      ok: false,
      kind: 'truncated',
      reason: `ledger ${kept.ledger}: the service's latest checkpoint (${head(current)}) is smaller than the one you hold (${head(kept)})`,
      kept,
      current,
    };
  }
  if (current.size === kept.size) {
    return current.rootHash === kept.rootHash
      ? { ok: true, kept, current }
      : {
          ok: false,
          kind: 'split-view',
          reason: `ledger ${kept.ledger}: two signed checkpoints of size ${kept.size} with different roots (${head(kept)}; ${head(current)})`,
          kept,
          current,
        };
  }
  const proof = await source.consistencyProof(kept.ledger, kept.size, current.size);
  if (!verifyConsistency(kept.size, current.size, kept.rootHash, current.rootHash, proof)) {
    return {
      ok: false,
      kind: 'rewritten',
      reason: `ledger ${kept.ledger}: the signed log today (${head(current)}) does not extend the checkpoint you hold (${head(kept)})`,
      kept,
      current,
    };
  }
  return { ok: true, kept, current };
}

/** The JSON of a kept file, read once. */
function readKept(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    throw new Error('the kept file is not valid JSON');
  }
}

/** What was kept itself: the object, or the document a GraphQL answer carries it in. */
function documentOf(value: unknown): Record<string, unknown> | null {
  const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  return o && typeof o.document === 'object' && o.document !== null ? (o.document as Record<string, unknown>) : o;
}

/**
 * The checkpoints inside what someone kept: a checkpoint bundle (every one of
 * it, platform first), a receipt (its checkpoint) or a checkpoint itself.
 */
export function keptCheckpoints(json: string): CheckpointData[] {
  const value = readKept(json);
  const doc = documentOf(value);
  return doc && Array.isArray(doc.ledgers) ? parseBundle(value) : [checkpointIn(doc)];
}

/** The checkpoint inside what someone kept: a receipt (its checkpoint) or a checkpoint itself. */
export function keptCheckpoint(json: string): CheckpointData {
  return checkpointIn(documentOf(readKept(json)));
}

function checkpointIn(kept: Record<string, unknown> | null): CheckpointData {
  try {
    const candidate = kept && typeof kept.checkpoint === 'object' ? kept.checkpoint : kept;
    const c = parseCheckpoint(candidate);
    if (!c) throw new ReceiptFormatError('it holds no checkpoint');
    return c;
  } catch (error) {
    if (error instanceof ReceiptFormatError) throw new Error(`not a receipt or checkpoint: ${error.message}`);
    throw error;
  }
}

const CHECKPOINT_FIELDS = 'ledger size rootHash signedAt keyId signature';

/** A LogSource over the service's GraphQL API; `post` sends one query and returns its data or throws. */
export type GraphqlPost = (query: string, variables: Record<string, unknown>) => Promise<unknown>;

/** data.a.b… of an answer whose shape is not trusted. */
const dig = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);

export function graphqlLogSource(post: GraphqlPost): LogSource {
  return {
    async latestCheckpoint(ledger) {
      const data = await post(`query ($ledger: String!) { latestCheckpoint(ledger: $ledger) { ${CHECKPOINT_FIELDS} } }`, { ledger });
      try {
        return parseCheckpoint(dig(data, 'latestCheckpoint') ?? null);
      } catch (error) {
        throw new Error(`the service sent a malformed checkpoint: ${(error as Error).message}`);
      }
    },
    async consistencyProof(ledger, fromSize, toSize) {
      const data = await post(
        `query ($ledger: String!, $from: BigInt!, $to: BigInt!) { auditConsistency(ledger: $ledger, fromSize: $from, toSize: $to) { proof } }`,
        {
          ledger,
          from: String(fromSize),
          to: String(toSize),
        },
      );
      const proof = dig(data, 'auditConsistency', 'proof');
      if (!Array.isArray(proof) || !proof.every((p): p is string => typeof p === 'string'))
        throw new Error('the service sent no consistency proof');
      return proof;
    },
  };
}

/** `post` for graphqlLogSource over HTTP: one line of error for anything but data. */
export function httpGraphql(url: string, token: string | undefined): GraphqlPost {
  return async (query, variables) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new Error(`cannot reach ${url}: ${(error as Error).message}`);
    }
    let body: { data?: unknown; errors?: { message: string }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new Error(`${url} answered ${response.status} without JSON`);
    }
    if (body.errors?.length) throw new Error(`${url}: ${body.errors[0].message}`);
    return body.data;
  };
}

/** A checkpoint in the document form: positions as decimal strings. */
export const checkpointDocument = (c: CheckpointData) => ({
  ledger: c.ledger,
  size: String(c.size),
  rootHash: c.rootHash,
  signedAt: c.signedAt,
  keyId: c.keyId,
  signature: c.signature,
});

export function bundleDocument(b: { platform: CheckpointData | null; ledgers: CheckpointData[] }) {
  return { platform: b.platform && checkpointDocument(b.platform), ledgers: b.ledgers.map(checkpointDocument) };
}

/** Reads a bundle document (or a GraphQL answer carrying it in `document`); every checkpoint in it, platform first. */
export function parseBundle(value: unknown): CheckpointData[] {
  try {
    const doc = documentOf(value);
    if (!doc || !Array.isArray(doc.ledgers)) throw new ReceiptFormatError('a bundle has a list of ledgers');
    const platform = parseCheckpoint(doc.platform ?? null);
    const ledgers = doc.ledgers.map((c) => {
      const parsed = parseCheckpoint(c);
      if (!parsed) throw new ReceiptFormatError('a ledger head is null');
      return parsed;
    });
    return platform ? [platform, ...ledgers] : ledgers;
  } catch (error) {
    if (error instanceof ReceiptFormatError) throw new Error(`not a checkpoint bundle: ${error.message}`);
    throw error;
  }
}
