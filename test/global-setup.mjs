import { execFileSync } from 'node:child_process';

/** Prepares the test database server once, before any test file runs; see prepare-template.ts. */
export default function globalSetup() {
  const { env, execPath } = globalThis.process;
  const out = execFileSync(execPath, ['--import', '@swc-node/register/esm-register', 'test/prepare-template.ts'], {
    env: { ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  Object.assign(env, JSON.parse(out.trim().split('\n').pop()));
}
