import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { CONSOLE_E2E_PORT } from './e2e/known';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const root = here('../..');
const output = here('../../reports/console');

/**
 * The console's stories in a real Chromium: Debian's package, since Playwright's
 * own browser download needs the internet. The service runs on a fresh database.
 */
export default defineConfig({
  testDir: here('e2e'),
  testMatch: '**/*.story.ts',
  outputDir: `${output}/results`,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: `${output}/results.json` }]],
  use: {
    baseURL: `http://127.0.0.1:${CONSOLE_E2E_PORT}`,
    viewport: { width: 1280, height: 860 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: 'node apps/directory-console/scripts/ensure-built.mjs && node --import @swc-node/register/esm-register test/console-server.ts',
    cwd: root,
    url: `http://127.0.0.1:${CONSOLE_E2E_PORT}/console`,
    timeout: 180_000,
    reuseExistingServer: false,
    // SIGTERM lets the service close and drop its database.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    stdout: 'pipe',
    stderr: 'pipe',
    env: { CONSOLE_E2E_PUBLIC_KEY: `${output}/audit-public-key.pem` },
  },
});
