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
  /** Longest a token may live, from its iat (or nbf) to its exp. */
  maxLifetimeSeconds: number;
}

export const DEFAULT_TOKEN_MAX_LIFETIME_SECONDS = 12 * 3600;

/** TOKEN_MAX_LIFETIME: seconds, or a number with s, m, h or d. */
function maxLifetime(env: NodeJS.ProcessEnv): number {
  const raw = env.TOKEN_MAX_LIFETIME;
  if (raw === undefined || raw === '') return DEFAULT_TOKEN_MAX_LIFETIME_SECONDS;
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(raw.trim());
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's'] : NaN;
  if (!(seconds >= 60 && seconds <= 30 * 86_400))
    throw new ConfigError(`TOKEN_MAX_LIFETIME must be from 1m to 30d, such as 12h, not "${raw}"`);
  return seconds;
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
  const maxLifetimeSeconds = maxLifetime(env);
  if (algorithm === 'HS256') {
    const secret = env.JWT_SECRET ?? '';
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes for HS256 (got ${Buffer.byteLength(secret)})`);
    }
    const key = new TextEncoder().encode(secret);
    return { algorithm, verifyKey: key, signKey: key, issuer, audience, maxLifetimeSeconds };
  }
  if (algorithm !== 'RS256' && algorithm !== 'ES256') {
    throw new ConfigError(`JWT_ALGORITHM must be HS256, RS256 or ES256, not "${String(env.JWT_ALGORITHM)}"`);
  }
  if (!env.JWT_PUBLIC_KEY) throw new ConfigError(`JWT_PUBLIC_KEY (PEM) is required for ${algorithm}`);
  try {
    const verifyKey = createPublicKey(env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'));
    const signKey = env.JWT_PRIVATE_KEY ? createPrivateKey(env.JWT_PRIVATE_KEY.replace(/\\n/g, '\n')) : undefined;
    const expected = algorithm === 'RS256' ? 'rsa' : 'ec';
    if (verifyKey.asymmetricKeyType !== expected)
      throw new ConfigError(`JWT_PUBLIC_KEY is not an ${expected.toUpperCase()} key as ${algorithm} needs`);
    return { algorithm, verifyKey, signKey, issuer, audience, maxLifetimeSeconds };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`JWT_PUBLIC_KEY / JWT_PRIVATE_KEY is not a readable PEM key`);
  }
}
