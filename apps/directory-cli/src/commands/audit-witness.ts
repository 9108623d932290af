import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import {
  checkExtendsTo,
  checkpointDocument,
  checkpointMessage,
  generateSigningKeyPair,
  graphqlLogSource,
  httpGraphql,
  keyIdOf,
  parseBundle,
  parsePrivateKey,
  PLATFORM_LEDGER,
  signerOf,
  type CheckpointData,
  type GraphqlPost,
} from '@app/audit';
import { checkAnchored, conflictingAnchors, scanAnchors, type AnchorIndex } from './audit-anchors.js';
import { ALARM, EXTENDS, readPublicKeys, UNCHECKED } from './audit-consistency.js';

/**
 * A witness keeps the last checkpoint bundle it verified in its state
 * directory. Each poll it fetches the service's bundle, checks every head's
 * signature, that every ledger extends what it kept, and that every new
 * district head is anchored in the platform ledger under the platform head
 * (the city-wide root), and only then co-signs the new heads with its own key
 * and keeps them. Anything else is an alarm, and what it kept stays as it was
 * (the evidence).
 */
export interface WitnessResult {
  code: number;
  line: string;
}

const KEY_FILE = 'witness-key.pem';
const HEADS_FILE = 'heads.json';
const COSIGNATURES_FILE = 'cosignatures.jsonl';
const ALARMS_FILE = 'alarms.jsonl';
const ANCHORS_FILE = 'anchors.json';

/** The exact bytes a witness signs: its own header, then the operator's checkpoint message. */
export function cosignatureMessage(c: CheckpointData, witnessedAt: string): string {
  return `district-data-exchange cosignature v1\nwitnessed-at ${witnessedAt}\n${checkpointMessage(c)}`;
}

async function witnessKey(state: string): Promise<KeyObject> {
  const file = join(state, KEY_FILE);
  if (!existsSync(file)) await writeFile(file, generateSigningKeyPair().privateKeyPem, { mode: 0o600, flag: 'wx' });
  return parsePrivateKey(await readFile(file, 'utf8'));
}

async function keptHeads(state: string): Promise<Map<string, CheckpointData>> {
  const file = join(state, HEADS_FILE);
  if (!existsSync(file)) return new Map();
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new Error(`${file} is not valid JSON; restore it from a backup rather than start over`);
  }
  return new Map(parseBundle(value).map((c) => [c.ledger, c]));
}

async function keptAnchors(state: string): Promise<AnchorIndex> {
  const file = join(state, ANCHORS_FILE);
  if (!existsSync(file)) return { scanned: 0, anchors: {} };
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as AnchorIndex;
    if (!Number.isSafeInteger(value.scanned) || typeof value.anchors !== 'object' || value.anchors === null) throw new Error();
    return value;
  } catch {
    // Only an index of what the platform ledger holds: it is rebuilt by reading the ledger again.
    return { scanned: 0, anchors: {} };
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

export async function witnessOnce(state: string, post: GraphqlPost, keys: readonly KeyObject[]): Promise<WitnessResult> {
  await mkdir(state, { recursive: true });
  const key = await witnessKey(state);
  const witnessId = keyIdOf(createPublicKey(key));
  const kept = await keptHeads(state);
  const answer = await post(`{ auditCheckpointBundle { document } }`, {});
  const heads = parseBundle((answer as { auditCheckpointBundle?: unknown } | null)?.auditCheckpointBundle);
  const source = graphqlLogSource(post);

  const alarm = async (kind: string, reason: string): Promise<WitnessResult> => {
    await appendFile(join(state, ALARMS_FILE), `${JSON.stringify({ at: new Date().toISOString(), kind, reason })}\n`);
    return { code: ALARM, line: `ALARM ${kind}: ${reason}` };
  };
  // One head per ledger: two are two views of one ledger, of which a lookup by ledger would check only one.
  const twice = heads.find((c, i) => heads.findIndex((d) => d.ledger === c.ledger) !== i);
  if (twice) {
    const sizes = heads.filter((c) => c.ledger === twice.ledger).map((c) => c.size);
    return alarm('split-view', `the bundle holds ${sizes.length} heads of ledger ${twice.ledger} (sizes ${sizes.join(', ')})`);
  }
  const current = new Map(heads.map((c) => [c.ledger, c]));
  for (const c of heads) {
    if (!signerOf(c, keys))
      return alarm('forged', `the head of ledger ${c.ledger} (size ${c.size}) does not verify with the operator's keys`);
  }
  for (const [ledger, old] of kept) {
    const verdict = await checkExtendsTo(old, current.get(ledger) ?? null, source, keys);
    if (!verdict.ok) return alarm(verdict.kind, verdict.reason);
  }

  const platform = heads.find((c) => c.ledger === PLATFORM_LEDGER) ?? null;
  const changed = heads.filter((c) => kept.get(c.ledger)?.size !== c.size);
  let anchors = await keptAnchors(state);
  if (changed.some((c) => c !== platform)) anchors = await scanAnchors(post, anchors, keys);
  const split = conflictingAnchors(anchors);
  if (split) return alarm('split-view', split);
  // A head anchored after the platform head waits (neither co-signed nor kept) for the next platform checkpoint.
  const waiting = new Set<string>();
  for (const c of changed) {
    if (c === platform) continue;
    const verdict = await checkAnchored(c, platform, anchors, post, source, keys);
    if (verdict.ok === false) return alarm('unanchored', verdict.reason);
    if (verdict.ok === 'pending') waiting.add(c.ledger);
  }
  const fresh = changed.filter((c) => !waiting.has(c.ledger));
  const keep = heads.map((c) => (waiting.has(c.ledger) ? kept.get(c.ledger) : c)).filter((c): c is CheckpointData => c !== undefined);

  const witnessedAt = new Date().toISOString();
  for (const c of fresh) {
    const cosignature = sign(null, Buffer.from(cosignatureMessage(c, witnessedAt)), key).toString('base64');
    await appendFile(
      join(state, COSIGNATURES_FILE),
      `${JSON.stringify({ checkpoint: checkpointDocument(c), witnessKeyId: witnessId, witnessedAt, cosignature })}\n`,
    );
  }
  const document = {
    platform: platform && checkpointDocument(platform),
    ledgers: keep.filter((c) => c !== platform).map(checkpointDocument),
  };
  await writeAtomically(join(state, ANCHORS_FILE), JSON.stringify(anchors));
  await writeAtomically(join(state, HEADS_FILE), JSON.stringify(document, null, 2));
  return {
    code: EXTENDS,
    line: `ok: ${heads.length} ledgers extend what this witness kept; platform size ${platform?.size ?? 0}; co-signed ${fresh.length} new heads as ${witnessId}${waiting.size ? `; ${waiting.size} wait for the platform checkpoint to cover their anchors` : ''}`,
  };
}

/** audit:witness: polls until an alarm (exit 1); --once polls one time (exit 0, 1, or 2 when it could not check). */
export async function witness(options: {
  url?: string;
  state?: string;
  token?: string;
  'public-key'?: string[];
  interval?: number;
  once?: boolean;
}): Promise<number> {
  let keys: KeyObject[];
  try {
    if (!options.url || !options.state)
      throw new Error('usage: audit:witness --url URL --state DIR --public-key KEY [--token T] [--interval 60] [--once]');
    keys = await readPublicKeys(options['public-key']);
  } catch (error) {
    console.error(`audit:witness: ${(error as Error).message}`);
    return UNCHECKED;
  }
  const interval = options.interval ?? 60;
  const post = httpGraphql(options.url, options.token ?? process.env.AUDIT_TOKEN);
  for (;;) {
    let result: WitnessResult;
    try {
      result = await witnessOnce(options.state, post, keys);
    } catch (error) {
      result = { code: UNCHECKED, line: `could not check: ${(error as Error).message}` };
    }
    (result.code === UNCHECKED ? console.error : console.log)(`${new Date().toISOString()} ${result.line}`);
    if (result.code === ALARM || options.once) return result.code;
    await sleep(Math.max(1, interval) * 1000);
  }
}
