import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export class ConfigError extends Error {}

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface AuthConfig {
  algorithm: JwtAlgorithm;
  verifyKey: KeyObject | Uint8Array;
  /** Only where this process may mint tokens (development, the CLI). */
  signKey?: KeyObject | Uint8Array;
  issuer: string;
  audience: string;
}

export const MIN_SECRET_BYTES = 32;

/**
 * JWT_ALGORITHM (HS256 by default) with JWT_SECRET, or RS256/ES256 with
 * JWT_PUBLIC_KEY (PEM) and, to mint tokens, JWT_PRIVATE_KEY (PEM).
 */
export function loadAuthConfig(env: NodeJS.ProcessEnv): AuthConfig {
  const algorithm = (env.JWT_ALGORITHM ?? 'HS256') as JwtAlgorithm;
  const issuer = env.JWT_ISSUER ?? 'district-data-exchange';
  const audience = env.JWT_AUDIENCE ?? 'district-data-exchange';
  if (algorithm === 'HS256') {
    const secret = env.JWT_SECRET ?? '';
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes for HS256 (got ${Buffer.byteLength(secret)})`);
    }
    const key = new TextEncoder().encode(secret);
    return { algorithm, verifyKey: key, signKey: key, issuer, audience };
  }
  if (algorithm !== 'RS256' && algorithm !== 'ES256') {
    throw new ConfigError(`JWT_ALGORITHM must be HS256, RS256 or ES256, not "${String(env.JWT_ALGORITHM)}"`);
  }
  if (!env.JWT_PUBLIC_KEY) throw new ConfigError(`JWT_PUBLIC_KEY (PEM) is required for ${algorithm}`);
  try {
    const verifyKey = createPublicKey(env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'));
    const signKey = env.JWT_PRIVATE_KEY ? createPrivateKey(env.JWT_PRIVATE_KEY.replace(/\\n/g, '\n')) : undefined;
    const expected = algorithm === 'RS256' ? 'rsa' : 'ec';
    if (verifyKey.asymmetricKeyType !== expected) throw new ConfigError(`JWT_PUBLIC_KEY is not an ${expected.toUpperCase()} key as ${algorithm} needs`);
    return { algorithm, verifyKey, signKey, issuer, audience };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`JWT_PUBLIC_KEY / JWT_PRIVATE_KEY is not a readable PEM key`);
  }
}
