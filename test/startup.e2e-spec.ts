import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Starts the service as `npm start` does, and returns how it ended. */
async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['--import', '@swc-node/register/esm-register', 'apps/directory-api/src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('a bad configuration stops the service with one clear line', () => {
  it.each([
    [{ JWT_SECRET: 'short' }, 'configuration: JWT_SECRET must be at least 32 bytes for HS256 (got 5)'],
    [
      { JWT_SECRET: 'x'.repeat(32) },
      'configuration: AUDIT_SIGNING_KEY (an Ed25519 private key; `npm run cli -- audit:keygen` makes one) is required',
    ],
    [
      { JWT_SECRET: 'x'.repeat(32), AUDIT_SIGNING_KEY: 'not a key' },
      'configuration: AUDIT_SIGNING_KEY: not a readable private key (PEM, or base64 of its DER)',
    ],
    [{ JWT_SECRET: 'x'.repeat(32), PORT: 'eighty' }, 'configuration: PORT must be an integer from 0 to 65535, not "eighty"'],
  ])('%j', async (env, line) => {
    // With DATABASE_URL set nothing is made up: every secret must be given.
    const result = await start({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...env });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(line);
  });
});
