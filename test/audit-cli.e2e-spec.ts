import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** audit:check-receipt needs no database: any file at all gives one line and an exit code (receipt.spec.ts tries any JSON). */
describe('audit:check-receipt', () => {
  it.each([
    ['null', 'null', /not a receipt: a receipt is a JSON object/],
    [
      'a checkpoint that is a number',
      '{"ledger":"x","seq":"1","entryHash":"00","proof":[],"checkpoint":5}',
      /not a receipt: checkpoint must be an object or null/,
    ],
  ])('%s: exit code 1 and one line', async (_name, content, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'check-receipt-'));
    await writeFile(join(dir, 'r.json'), content);
    const key = createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
    const result = await run(
      process.execPath,
      [
        '--import',
        '@swc-node/register/esm-register',
        'apps/directory-cli/src/main.ts',
        'audit:check-receipt',
        join(dir, 'r.json'),
        '--public-key',
        key,
      ],
      {
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
