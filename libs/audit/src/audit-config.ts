import { createPublicKey } from 'node:crypto';
import { AuditKeys } from './audit.service.js';
import { parsePrivateKey, parsePublicKey } from './checkpoint.js';

export class AuditConfigError extends Error {}

export interface CheckpointSchedule {
  /** Sign a ledger's checkpoint once it has grown by this many entries... */
  everyEntries: number;
  /** ...or, if it grew at all, once this many seconds have passed. */
  everySeconds: number;
}

/**
 * AUDIT_SIGNING_KEY: the Ed25519 private key (PEM, or base64 PKCS#8 DER) that
 * signs checkpoints. AUDIT_TRUSTED_KEYS: further public keys, comma-separated
 * base64 SPKI, whose checkpoints still verify after a key rotation.
 */
export function loadAuditKeys(env: NodeJS.ProcessEnv): AuditKeys {
  if (!env.AUDIT_SIGNING_KEY)
    throw new AuditConfigError('AUDIT_SIGNING_KEY (an Ed25519 private key; `npm run cli -- audit:keygen` makes one) is required');
  let signingKey;
  try {
    signingKey = parsePrivateKey(env.AUDIT_SIGNING_KEY.replace(/\\n/g, '\n'));
  } catch (error) {
    throw new AuditConfigError(`AUDIT_SIGNING_KEY: ${(error as Error).message}`);
  }
  const trusted = (env.AUDIT_TRUSTED_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => {
      try {
        return parsePublicKey(k);
      } catch (error) {
        throw new AuditConfigError(`AUDIT_TRUSTED_KEYS: ${(error as Error).message}`);
      }
    });
  return new AuditKeys(signingKey, [createPublicKey(signingKey), ...trusted]);
}

export function loadCheckpointSchedule(env: NodeJS.ProcessEnv): CheckpointSchedule {
  const read = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new AuditConfigError(`${name} must be a positive whole number`);
    return value;
  };
  return { everyEntries: read('AUDIT_CHECKPOINT_EVERY_ENTRIES', 1000), everySeconds: read('AUDIT_CHECKPOINT_EVERY_SECONDS', 60) };
}
