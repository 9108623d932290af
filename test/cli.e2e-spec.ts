/**
 * The command line as operators and CI run it: the command list, exit codes
 * (0 done, 1 a failure or a bad value, 2 an unknown command) and one-line
 * errors; the offline commands with no database reachable; the database
 * commands on a test database.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PLATFORM_LEDGER } from '@app/audit';
import { createTestDatabase, type TestDatabase } from '@app/testing';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const signingKey = generateKeyPairSync('ed25519').privateKey;
const publicKey = createPublicKey(signingKey).export({ format: 'der', type: 'spki' }).toString('base64');
const secrets = {
  JWT_SECRET: 'cli-spec-secret-of-at-least-thirty-two-characters',
  AUDIT_SIGNING_KEY: signingKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
};

/** `npm run cli -- ...args`, with only the environment given (and PATH). */
function cli(args: string[], env: Record<string, string>): Promise<Outcome> {
  return run(process.execPath, ['--import', '@swc-node/register/esm-register', 'apps/directory-cli/src/main.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...env },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Outcome) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

const lines = (text: string) => text.trim().split('\n');

/** A port nothing listens on: the database of a machine where it is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let offline: Record<string, string>;

beforeAll(async () => {
  offline = { ...secrets, DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere` };
});

describe('the command line', () => {
  it('--help lists every command, with exit code 0', async () => {
    const help = await cli(['--help'], offline);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run cli -- <command> \[options\]/);
    for (const name of [
      'district:new',
      'seed',
      'token',
      'audit:keygen',
      'audit:verify',
      'audit:checkpoint',
      'audit:receipt',
      'audit:check-receipt',
      'audit:consistency',
      'audit:bundle',
      'audit:witness',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(help.stdout).toContain('write an onboarding migration');
  });

  it('an unknown command: one line and exit code 2', async () => {
    const unknown = await cli(['audit:verfy'], offline);
    expect(unknown.code).toBe(2);
    expect(lines(unknown.stderr)).toEqual([expect.stringMatching(/^unknown command 'audit:verfy' \(Did you mean audit:verify\?\)/)]);
  });

  it('a bad option value or an unknown option: one line and exit code 1, before any database is opened', async () => {
    const bad = await cli(['seed', '--files', 'many'], offline);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(lines(bad.stderr)).toEqual(['seed: --files must be a whole number']);
    const unknown = await cli(['audit:verify', '--ledgr', 'platform'], offline);
    expect(unknown.code).toBe(1);
    expect(lines(unknown.stderr)).toEqual([expect.stringMatching(/^audit:verify: unknown option '--ledgr' \(Did you mean --ledger\?\)$/)]);
  });

  it('offline commands run with the database down; a database command says so in one line', async () => {
    const keygen = await cli(['audit:keygen'], offline);
    expect(keygen.code).toBe(0);
    expect(keygen.stdout).toMatch(/-----BEGIN PRIVATE KEY-----[\s\S]*-----BEGIN PUBLIC KEY-----/);

    const token = await cli(['token', '--department', 'dongcheng-health', '--roles', 'steward,auditor'], offline);
    expect(token.code).toBe(0);
    const claims = JSON.parse(Buffer.from(token.stdout.trim().split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ dept: 'dongcheng-health', roles: ['STEWARD', 'AUDITOR'], sub: 'dev-dongcheng-health' });

    const verify = await cli(['audit:verify'], offline);
    expect(verify.code).toBe(1);
    expect(lines(verify.stderr)).toEqual([expect.stringMatching(/^audit:verify: .*ECONNREFUSED/)]);
  });
});

describe('the database commands', () => {
  let database: TestDatabase;
  let online: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    online = { ...secrets, DATABASE_URL: database.url };
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('sign and verify the ledgers; a receipt written from the database checks offline', async () => {
    const checkpoint = await cli(['audit:checkpoint'], online);
    expect(checkpoint.code).toBe(0);
    expect(checkpoint.stdout).toMatch(new RegExp(`^${PLATFORM_LEDGER}: size \\d+ root [0-9a-f]{64} key [0-9a-f]+$`, 'm'));

    const verify = await cli(['audit:verify', '--ledger', PLATFORM_LEDGER], online);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`^${PLATFORM_LEDGER}: ok, \\d+ entries, 1 checkpoints`, 'm'));

    const missing = await cli(['audit:receipt', '--ledger', PLATFORM_LEDGER, '--seq', '999999'], online);
    expect(missing.code).toBe(1);
    expect(lines(missing.stderr)).toEqual([`audit:receipt: no entry 999999 in ledger "${PLATFORM_LEDGER}"`]);

    const out = join(await mkdtemp(join(tmpdir(), 'cli-receipt-')), 'receipt.json');
    expect((await cli(['audit:receipt', '--ledger', PLATFORM_LEDGER, '--seq', '1', '--out', out], online)).code).toBe(0);
    const check = await cli(['audit:check-receipt', out, '--public-key', publicKey], offline);
    expect(check).toMatchObject({ code: 0, stdout: 'receipt verifies: the entry is in the signed log\n' });
  });
});

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
    const result = await cli(['audit:check-receipt', join(dir, 'r.json'), '--public-key', publicKey], offline);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
