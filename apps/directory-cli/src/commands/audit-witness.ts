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
  signerOf,
  type CheckpointData,
  type GraphqlPost,
} from '@app/audit';
import { ALARM, EXTENDS, readPublicKeys, UNCHECKED } from './audit-consistency.js';

/**
 * A witness keeps the last checkpoint bundle it verified in its state
 * directory. Each poll it fetches the service's bundle, checks every head's
 * signature and that every ledger extends what it kept, and only then
 * co-signs the new heads with its own key and keeps them. Anything else is
 * an alarm, and what it kept stays as it was (the evidence).
 */
export interface WitnessResult {
  code: number;
  line: string;
}

const KEY_FILE = 'witness-key.pem';
const HEADS_FILE = 'heads.json';
const COSIGNATURES_FILE = 'cosignatures.jsonl';
const ALARMS_FILE = 'alarms.jsonl';

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
  const current = new Map(heads.map((c) => [c.ledger, c]));
  for (const c of heads) {
    if (!signerOf(c, keys)) return alarm('forged', `the head of ledger ${c.ledger} (size ${c.size}) does not verify with the operator's keys`);
  }
  for (const [ledger, old] of kept) {
    const verdict = await checkExtendsTo(old, current.get(ledger) ?? null, source, keys);
    if (!verdict.ok) return alarm(verdict.kind, verdict.reason);
  }

  const witnessedAt = new Date().toISOString();
  const fresh = heads.filter((c) => kept.get(c.ledger)?.size !== c.size);
  for (const c of fresh) {
    const cosignature = sign(null, Buffer.from(cosignatureMessage(c, witnessedAt)), key).toString('base64');
    await appendFile(join(state, COSIGNATURES_FILE), `${JSON.stringify({ checkpoint: checkpointDocument(c), witnessKeyId: witnessId, witnessedAt, cosignature })}\n`);
  }
  const platform = heads.find((c) => c.ledger === 'platform') ?? null;
  const document = { platform: platform && checkpointDocument(platform), ledgers: heads.filter((c) => c !== platform).map(checkpointDocument) };
  await writeFile(join(state, `${HEADS_FILE}.tmp`), JSON.stringify(document, null, 2));
  await rename(join(state, `${HEADS_FILE}.tmp`), join(state, HEADS_FILE));
  return {
    code: EXTENDS,
    line: `ok: ${heads.length} ledgers extend what this witness kept; platform size ${platform?.size ?? 0}; co-signed ${fresh.length} new heads as ${witnessId}`,
  };
}

/** audit:witness: polls until an alarm (exit 1); --once polls one time (exit 0, 1, or 2 when it could not check). */
export async function witness(options: { url?: string; state?: string; token?: string; 'public-key'?: string[]; interval?: string; once?: boolean }): Promise<number> {
  let keys: KeyObject[];
  try {
    if (!options.url || !options.state) throw new Error('usage: audit:witness --url URL --state DIR --public-key KEY [--token T] [--interval 60] [--once]');
    keys = await readPublicKeys(options['public-key']);
  } catch (error) {
    console.error(`audit:witness: ${(error as Error).message}`);
    return UNCHECKED;
  }
  const interval = Number(options.interval ?? 60);
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
