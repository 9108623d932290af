import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { checkExtends, graphqlLogSource, httpGraphql, keptCheckpoints, parsePublicKey } from '@app/audit';

/** Exit codes: 0 the log extends what was kept; 1 it does not (an alarm); 2 it could not be checked. */
export const EXTENDS = 0;
export const ALARM = 1;
export const UNCHECKED = 2;

/** Public keys from PEM files or base64 SPKI, as given on the command line. */
export async function readPublicKeys(options: string[] | undefined): Promise<KeyObject[]> {
  if (!options?.length) throw new Error("--public-key is required: the operator's published key (a PEM file or base64 SPKI), once per key");
  return Promise.all(
    options.map(async (k) => {
      try {
        return parsePublicKey(existsSync(k) ? await readFile(k, 'utf8') : k);
      } catch {
        throw new Error(
          `--public-key ${k.length > 40 ? `${k.slice(0, 40)}…` : k}: not a readable PEM file nor base64 SPKI of an Ed25519 key`,
        );
      }
    }),
  );
}

/**
 * Checks a kept receipt, checkpoint or checkpoint bundle against the service
 * as it is today: for each checkpoint kept, fetches its ledger's latest
 * signed checkpoint and a consistency proof, and verifies both with the keys
 * given. Prints one line per checkpoint; an alarm on any makes the exit an
 * alarm.
 */
export async function consistency(
  file: string | undefined,
  options: { url?: string; token?: string; 'public-key'?: string[] },
): Promise<number> {
  try {
    if (!file || !options.url) throw new Error('usage: audit:consistency FILE --url URL --public-key KEY [--token T]');
    const keys = await readPublicKeys(options['public-key']);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new Error(`cannot read ${file}`);
    }
    const source = graphqlLogSource(httpGraphql(options.url, options.token ?? process.env.AUDIT_TOKEN));
    let outcome = EXTENDS;
    for (const kept of keptCheckpoints(text)) {
      const verdict = await checkExtends(kept, source, keys);
      if (verdict.ok) {
        console.log(`ok: ledger ${kept.ledger} today (size ${verdict.current.size}) extends the checkpoint you hold (size ${kept.size})`);
      } else {
        console.log(`ALARM ${verdict.kind}: ${verdict.reason}`);
        outcome = ALARM;
      }
    }
    return outcome;
  } catch (error) {
    console.error(`audit:consistency: ${(error as Error).message}`);
    return UNCHECKED;
  }
}
