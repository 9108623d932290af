import type { KeyObject } from 'node:crypto';
import {
  checkExtendsTo,
  parseReceipt,
  PLATFORM_LEDGER,
  readCheckpoint,
  signerOf,
  verifyReceipt,
  type CheckpointData,
  type GraphqlPost,
  type LogSource,
} from '@app/audit';

/**
 * Where the witness has found district checkpoints anchored in the platform
 * ledger: the platform entries up to `scanned` have been read, and each
 * anchor is filed under ledger/size/root with its platform seq. Kept with the
 * heads, so that each poll reads only the platform entries added since.
 */
export interface AnchorIndex {
  scanned: number;
  anchors: Record<string, number>;
}

/** pending: anchored after the platform head, so not yet under the city-wide root (the next platform checkpoint covers it). */
export type AnchorVerdict = { ok: true } | { ok: 'pending'; seq: number } | { ok: false; reason: string };

const PAGE = 500;
const anchorKey = (ledger: unknown, size: unknown, rootHash: unknown) => `${String(ledger)}/${String(size)}/${String(rootHash)}`;
const describe = (c: CheckpointData) => `the head of ledger ${c.ledger} (size ${c.size}, root ${c.rootHash.slice(0, 16)}…)`;

/**
 * Reads the platform entries after index.scanned to the end of the ledger,
 * filing every checkpoint.anchored entry (an anchor past the platform head is
 * filed too: the next platform checkpoint will cover it).
 */
export async function scanAnchors(post: GraphqlPost, index: AnchorIndex, keys: readonly KeyObject[]): Promise<AnchorIndex> {
  const next: AnchorIndex = { scanned: index.scanned, anchors: { ...index.anchors } };
  for (;;) {
    const data = (await post(
      `query ($after: BigInt, $first: Int) { auditLog(ledger: "${PLATFORM_LEDGER}", afterSeq: $after, first: $first) { edges { node { seq action payload } } } }`,
      { after: String(next.scanned), first: PAGE },
    )) as { auditLog?: { edges?: { node?: { seq?: unknown; action?: unknown; payload?: unknown } }[] } } | null;
    const nodes = (data?.auditLog?.edges ?? []).map((e) => e.node ?? {});
    for (const node of nodes) {
      const seq = Number(node.seq);
      if (!Number.isSafeInteger(seq) || seq <= next.scanned) throw new Error('the service sent the platform ledger out of order');
      next.scanned = seq;
      // Only what the operator signed: anyone who may append could write an anchor entry.
      const anchored = node.action === 'checkpoint.anchored' ? signedAnchor(node.payload, keys) : null;
      if (anchored) next.anchors[anchorKey(anchored.ledger, anchored.size, anchored.rootHash)] ??= seq;
    }
    if (nodes.length < PAGE) return next;
  }
}

/** The checkpoint an anchor's payload carries, if the operator's keys signed it. */
function signedAnchor(payload: unknown, keys: readonly KeyObject[]): CheckpointData | null {
  const c = readCheckpoint(payload);
  return c && signerOf(c, keys) ? c : null;
}

/**
 * Two signed anchors of one ledger and size with different roots: the
 * operator signed two histories of that ledger. Null when there are none.
 */
export function conflictingAnchors(index: AnchorIndex): string | null {
  const roots = new Map<string, string>();
  for (const key of Object.keys(index.anchors)) {
    const cut = key.lastIndexOf('/');
    const [at, root] = [key.slice(0, cut), key.slice(cut + 1)];
    const other = roots.get(at);
    if (other !== undefined && other !== root) {
      return `the platform ledger anchors two checkpoints of ledger ${at.replace(/\/(\d+)$/, ' at size $1')} with different roots (${other.slice(0, 16)}…, ${root.slice(0, 16)}…)`;
    }
    roots.set(at, root);
  }
  return null;
}

/**
 * Is a district head anchored in the city-wide root? The platform entry that
 * anchors it must exist at or below the platform head's size, and its receipt
 * (the entry itself, its inclusion proof, a checkpoint signed by the
 * operator's keys) must verify and join the platform head in the bundle: the
 * same checkpoint, or one that a consistency proof shows extends it (or that
 * it extends).
 */
export async function checkAnchored(
  head: CheckpointData,
  platform: CheckpointData | null,
  index: AnchorIndex,
  post: GraphqlPost,
  source: LogSource,
  keys: readonly KeyObject[],
): Promise<AnchorVerdict> {
  const seq = index.anchors[anchorKey(head.ledger, head.size, head.rootHash)];
  if (seq === undefined) return { ok: false, reason: `${describe(head)} is not anchored in the platform ledger` };
  if (!platform || seq > platform.size) return { ok: 'pending', seq };
  const data = (await post(`query ($seq: BigInt!) { auditReceipt(ledger: "${PLATFORM_LEDGER}", seq: $seq) { document } }`, {
    seq: String(seq),
  })) as {
    auditReceipt?: { document?: unknown };
  } | null;
  let receipt;
  try {
    receipt = parseReceipt(JSON.stringify(data?.auditReceipt?.document ?? null));
  } catch (error) {
    return {
      ok: false,
      reason: `the receipt of platform entry ${seq}, anchoring ${describe(head)}, is malformed: ${(error as Error).message}`,
    };
  }
  const verdict = verifyReceipt(receipt, keys);
  if (!verdict.ok)
    return { ok: false, reason: `the receipt of platform entry ${seq}, anchoring ${describe(head)}, does not verify: ${verdict.reason}` };
  const entry = receipt.entry;
  const payload = entry?.payload as Record<string, unknown> | undefined;
  if (
    receipt.ledger !== PLATFORM_LEDGER ||
    receipt.seq !== seq ||
    !entry ||
    entry.action !== 'checkpoint.anchored' ||
    anchorKey(payload?.ledger, payload?.size, payload?.rootHash) !== anchorKey(head.ledger, head.size, head.rootHash)
  ) {
    return { ok: false, reason: `platform entry ${seq} is not the anchor of ${describe(head)}` };
  }
  const covering = receipt.checkpoint!;
  const [older, newer] = covering.size <= platform.size ? [covering, platform] : [platform, covering];
  const joined = await checkExtendsTo(older, newer, source, keys);
  if (!joined.ok)
    return {
      ok: false,
      reason: `the platform checkpoint proving the anchor of ${describe(head)} does not join the bundle's: ${joined.reason}`,
    };
  return { ok: true };
}
