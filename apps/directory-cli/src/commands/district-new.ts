import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { districtSpecFrom, renderDistrictMigration } from '../district-migration.js';

export const MIGRATIONS_DIR = 'migrations';
const INDEX_LIST_MARKER = '/** Every migration';

/**
 * Writes migrations/<timestamp>-OnboardDistrict<Code>.ts and registers it in
 * migrations/index.ts, for review like any other code.
 */
export async function districtNew(options: {
  code: string;
  name: string;
  level?: string;
  departments: string;
  dir?: string;
}): Promise<string> {
  const spec = districtSpecFrom(options);
  const dir = options.dir ?? MIGRATIONS_DIR;
  const migration = renderDistrictMigration(spec, Date.now());
  const indexPath = join(dir, 'index.ts');
  const index = await readFile(indexPath, 'utf8');
  const stem = migration.className.replace(/\d+$/, '');
  if (new RegExp(`\\b${stem}\\d+\\b`).test(index)) {
    throw new Error(`a migration onboarding "${spec.code}" is already registered in ${indexPath}`);
  }
  await writeFile(join(dir, migration.fileName), migration.source, { flag: 'wx' });
  const module = `./${migration.fileName.replace(/\.ts$/, '.js')}`;
  const withImport = index.replace(
    `\n\n${INDEX_LIST_MARKER}`,
    `\nimport { ${migration.className} } from '${module}';\n\n${INDEX_LIST_MARKER}`,
  );
  const updated = withImport.replace(/\n\];\s*$/, `\n  ${migration.className},\n];\n`);
  await writeFile(indexPath, updated);
  return join(dir, migration.fileName);
}
