import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { generateSigningKeyPair, parsePublicKey, parseReceipt, receiptDocument, verifyReceipt, type AuditService } from '@app/audit';
import { createProgress } from '../progress.js';

/** Prints a new Ed25519 key pair: the private key goes into AUDIT_SIGNING_KEY, the public one to departments. */
export function keygen(): void {
  const pair = generateSigningKeyPair();
  console.log(
    `# key id ${pair.keyId}\n# AUDIT_SIGNING_KEY (keep it secret):\n${pair.privateKeyPem}\n# public key (publish it; audit:check-receipt --public-key):\n${pair.publicKeyPem}`,
  );
}

/** Verifies one ledger or all, streaming each with a progress bar; exit code 1 if any fails. */
export async function verify(audit: AuditService, options: { ledger?: string }): Promise<number> {
  const ledgers = options.ledger ? [options.ledger] : (await audit.ledgers()).map((l) => l.ledger);
  if (options.ledger && !(await audit.ledgerExists(options.ledger))) throw new Error(`no ledger "${options.ledger}"`);
  let failed = 0;
  for (const ledger of ledgers) {
    const progress = createProgress();
    const size = await audit.size(ledger);
    progress.update(ledger, 0, size);
    const started = Date.now();
    const result = await audit.verifyLedger(ledger, (checked) => progress.update(ledger, checked, size));
    progress.stop();
    const rate = Math.round(result.checked / Math.max((Date.now() - started) / 1000, 0.001));
    if (result.ok) {
      console.log(`${ledger}: ok, ${result.checked} entries, ${result.checkpointsChecked} checkpoints (${rate} entries/s)`);
    } else {
      failed += 1;
      console.log(`${ledger}: FAILED at seq ${result.firstBadSeq ?? '-'}: ${result.reason}`);
    }
  }
  return failed ? 1 : 0;
}

export async function checkpoint(audit: AuditService, options: { ledger?: string }): Promise<void> {
  const signed = options.ledger
    ? [await audit.checkpoint(options.ledger)].filter((c) => c !== null)
    : await audit.checkpointGrownLedgers(1);
  for (const c of signed) console.log(`${c.ledger}: size ${c.size} root ${c.rootHash} key ${c.keyId}`);
  if (signed.length === 0) console.log('nothing new to sign');
}

/** Writes the receipt of one entry to a file, for offline checking. */
export async function receipt(audit: AuditService, options: { ledger: string; seq: number; out?: string }): Promise<void> {
  const entry = await audit.entry(options.ledger, options.seq);
  if (!entry) throw new Error(`no entry ${options.seq} in ledger "${options.ledger}"`);
  const json = JSON.stringify(receiptDocument(await audit.receiptFor(entry)), null, 2);
  if (options.out) await writeFile(options.out, json);
  else console.log(json);
}

/** Checks a receipt with no database: the key, the signature, the proof. Exit code 1 if it does not verify. */
export async function checkReceipt(file: string | undefined, options: { 'public-key'?: string }): Promise<number> {
  if (!file) throw new Error('usage: audit:check-receipt FILE --public-key KEY (a PEM file, or base64 SPKI)');
  const keyOption = options['public-key'];
  if (!keyOption) throw new Error('--public-key is required: a PEM file or base64 SPKI (auditPublicKeys gives it)');
  let receiptText: string;
  try {
    receiptText = await readFile(file, 'utf8');
  } catch {
    throw new Error(`cannot read ${file}`);
  }
  const keyText = existsSync(keyOption) ? await readFile(keyOption, 'utf8') : keyOption;
  let key;
  try {
    key = parsePublicKey(keyText);
  } catch {
    throw new Error('the public key is neither a readable PEM file nor base64 SPKI of an Ed25519 key');
  }
  const verdict = verifyReceipt(parseReceipt(receiptText), key);
  console.log(verdict.ok ? 'receipt verifies: the entry is in the signed log' : `receipt does NOT verify: ${verdict.reason}`);
  return verdict.ok ? 0 : 1;
}
