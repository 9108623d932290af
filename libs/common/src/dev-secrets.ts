import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the embedded database and development secrets live; git ignores it. */
export const DEFAULT_DATA_DIR = '.data';

const DEVELOPMENT_SECRETS: Record<string, () => string> = {
  JWT_SECRET: () => randomBytes(32).toString('base64url'),
  AUDIT_SIGNING_KEY: () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
};

/**
 * On a developer's machine (no DATABASE_URL), secrets the environment does not
 * give are made once and kept in the data folder, so that the service and the
 * CLI agree on them. Production passes every secret in the environment.
 * Returns the names of the secrets it supplied.
 */
export function applyDevelopmentSecrets(env: NodeJS.ProcessEnv, dataDir: string): string[] {
  if (env.DATABASE_URL) return [];
  const supplied: string[] = [];
  for (const [name, make] of Object.entries(DEVELOPMENT_SECRETS)) {
    if (env[name]) continue;
    const file = join(dataDir, 'secrets', name.toLowerCase());
    if (!existsSync(file)) {
      mkdirSync(join(dataDir, 'secrets'), { recursive: true });
      writeFileSync(file, make(), { mode: 0o600 });
    }
    env[name] = readFileSync(file, 'utf8');
    supplied.push(name);
  }
  return supplied;
}
