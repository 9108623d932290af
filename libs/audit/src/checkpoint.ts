import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { sha256Hex } from './hash-chain.js';

/** A signed tree head: the ledger had `size` entries whose Merkle root is `rootHash`. */
export interface CheckpointData {
  ledger: string;
  size: number;
  rootHash: string;
  signedAt: string;
  keyId: string;
  /** Ed25519 signature over checkpointMessage(), base64. */
  signature: string;
}

export type UnsignedCheckpoint = Omit<CheckpointData, 'signature' | 'keyId'>;

/** The exact bytes that are signed; see docs/audit-format.md. */
export function checkpointMessage(c: UnsignedCheckpoint): string {
  return `district-data-exchange checkpoint v1\nledger ${c.ledger}\nsize ${c.size}\nroot ${c.rootHash}\nsigned-at ${c.signedAt}\n`;
}

/** Accepts a PEM text or the base64 of a DER (PKCS#8 private, SPKI public) key. */
function keyMaterial(text: string): { key: string | Buffer; format: 'pem' | 'der' } {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return { key: trimmed, format: 'pem' };
  if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) throw new Error('key is neither PEM nor base64 DER');
  return { key: Buffer.from(trimmed, 'base64'), format: 'der' };
}

function assertEd25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  return key;
}

/** Node's own messages (OpenSSL codes) say nothing to an operator: one plain sentence instead. */
function readKey(make: () => KeyObject, kind: string): KeyObject {
  let key: KeyObject;
  try {
    key = make();
  } catch {
    throw new Error(`not a readable ${kind} key (PEM, or base64 of its DER)`);
  }
  return assertEd25519(key);
}

export function parsePrivateKey(text: string): KeyObject {
  const { key, format } = keyMaterial(text);
  return readKey(() => (format === 'pem' ? createPrivateKey(key) : createPrivateKey({ key, format: 'der', type: 'pkcs8' })), 'private');
}

export function parsePublicKey(text: string): KeyObject {
  const { key, format } = keyMaterial(text);
  return readKey(() => (format === 'pem' ? createPublicKey(key) : createPublicKey({ key, format: 'der', type: 'spki' })), 'public');
}

/** Short, stable name of a public key: the first 16 hex digits of SHA-256 over its SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ format: 'der', type: 'spki' })).slice(0, 16);
}

export function signCheckpoint(unsigned: UnsignedCheckpoint, privateKey: KeyObject): CheckpointData {
  const publicKey = createPublicKey(privateKey);
  const signature = sign(null, Buffer.from(checkpointMessage(unsigned)), privateKey).toString('base64');
  return { ...unsigned, keyId: keyIdOf(publicKey), signature };
}

export function verifyCheckpointSignature(c: CheckpointData, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(checkpointMessage(c)), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * The key named by the checkpoint's keyId, if it is one of `keys` and the
 * signature verifies with it; null otherwise. A verifier never tries every key:
 * keyId says which one signed.
 */
export function signerOf(c: CheckpointData, keys: readonly KeyObject[]): KeyObject | null {
  const key = keys.find((k) => keyIdOf(k) === c.keyId);
  return key && verifyCheckpointSignature(c, key) ? key : null;
}

export interface SigningKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
