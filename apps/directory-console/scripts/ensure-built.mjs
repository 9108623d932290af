// Run before `npm start`: builds the console when it was never built or its sources
// changed since, so that a fresh clone serves /console with no extra command.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import console from 'node:console';
import { fileURLToPath, URL } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const built = join(app, '../../dist/console/index.html');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const sources = ['src', 'index.html', 'vite.config.ts'].map((p) => join(app, p));
if (!existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs) {
  console.log('building the console (once; about 20 s)...');
  const { build } = await import('vite');
  await build({ configFile: join(app, 'vite.config.ts'), logLevel: 'warn' });
}
