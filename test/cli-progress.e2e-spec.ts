/**
 * The CLI's progress without a terminal: `seed` piped prints plain lines
 * (no template placeholders, no control sequences, sane elapsed times).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@app/testing';

const run = promisify(execFile);
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe('cli progress without a terminal', () => {
  it('seed piped prints one plain line per phase step and a summary', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'apps/directory-cli/src/main.ts', 'seed', '--files', '300', '--permissions', '40'],
      {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', DATABASE_URL: database.url },
        timeout: 90_000,
      },
    );
    expect(stdout).not.toMatch(/\{\w+\}/);
    expect(stdout).not.toContain(String.fromCharCode(27));
    const lines = stdout.trim().split('\n');
    const progress = lines.filter((l) => /^(files|permissions): /.test(l));
    for (const line of progress) {
      const match = /^(files|permissions): (\d+)\/(\d+) \((\d+)%\) (\d+\.\d) s$/.exec(line);
      expect(match).not.toBeNull();
      expect(Number(match![5])).toBeLessThan(90);
    }
    expect(progress.some((l) => l.startsWith('files: 300/300 (100%)'))).toBe(true);
    expect(progress.some((l) => l.startsWith('permissions: ') && l.includes('(100%)'))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^pilot: 300 of 300 files and \d+ of \d+ permissions were new/);
  });
});
