import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the built console is: `dist/console` beside the sources when run from
 * them (npm start), or beside the compiled service in dist (npm run start:prod).
 */
export function findConsoleAssets(explicit?: string): string | undefined {
  const candidates = explicit ? [resolve(explicit)] : [join(here, '../../../../dist/console'), join(here, '../../../../console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}
