import { describe, expect, it } from '@jest/globals';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import eslintConfig from '../eslint.config.js';
import { APPS, boundaryConfigs, LIB_DEPENDENCIES, TEST_LIBS } from '../eslint.boundaries.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Lints one snippet as if it were the file at `path`, with the boundary rules alone. */
function boundaryErrors(path: string, code: string): string[] {
  const linter = new Linter({ cwd: root });
  const config = [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } }, ...boundaryConfigs()];
  return linter.verify(code, config, { filename: join(root, path) }).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('import boundaries', () => {
  it('are part of the repository ESLint config', () => {
    const configs: unknown[] = eslintConfig;
    for (const block of boundaryConfigs()) expect(configs).toContainEqual(block);
  });

  it('declare library dependencies that form no cycle', () => {
    const order: string[] = [];
    const visiting = new Set<string>();
    const visit = (lib: string, path: string[]) => {
      if (order.includes(lib)) return;
      if (visiting.has(lib)) throw new Error(`cycle: ${[...path, lib].join(' -> ')}`);
      visiting.add(lib);
      for (const dep of (LIB_DEPENDENCIES as Record<string, string[]>)[lib]) visit(dep, [...path, lib]);
      visiting.delete(lib);
      order.push(lib);
    };
    for (const lib of Object.keys(LIB_DEPENDENCIES)) visit(lib, []);
    expect(order).toHaveLength(Object.keys(LIB_DEPENDENCIES).length);
    expect(LIB_DEPENDENCIES.audit).toEqual(['common']);
    expect(LIB_DEPENDENCIES.database).toEqual([]);
  });

  it('fail on the audit log importing a business library (the access <-> audit cycle)', () => {
    const errors = boundaryErrors(
      'libs/audit/src/probe.ts',
      "import type { AccessPolicy } from '@app/access';\nexport type X = AccessPolicy;\n",
    );
    expect(errors).toEqual([expect.stringMatching(/^no-restricted-imports: .*libs\/audit may import only @app\/common/)]);
  });

  it('fail on an import a library does not declare, in either direction', () => {
    expect(
      boundaryErrors('libs/access/src/probe.ts', "import { DirectoryService } from '@app/directory';\nexport { DirectoryService };\n"),
    ).toHaveLength(1);
    expect(boundaryErrors('libs/database/src/probe.ts', "import { badInput } from '@app/common';\nexport { badInput };\n")).toHaveLength(1);
    expect(
      boundaryErrors('libs/exchange/src/probe.ts', "import { DirectoryService } from '@app/directory';\nexport { DirectoryService };\n"),
    ).toEqual([]);
  });

  it('fail on a migration importing anything but typeorm and the migrations beside it', () => {
    const migration = 'migrations/1799999999999-OnboardDistrictProbe.ts';
    const errorsOf = (from: string) => boundaryErrors(migration, `import { x } from '${from}';\nexport { x };\n`);
    for (const forbidden of ['@app/audit', '@app/directory', '../libs/audit/src/audit-append.js', './../libs/audit/src/index.js', 'pg']) {
      expect(errorsOf(forbidden)).toEqual([expect.stringMatching(/^no-restricted-imports: .*a migration imports only 'typeorm'/)]);
    }
    expect(boundaryErrors(migration, "import type { MigrationInterface } from 'typeorm';\nexport type X = MigrationInterface;\n")).toEqual(
      [],
    );
    expect(errorsOf('./1795962600000-AuditCheckpointGuard.js')).toEqual([]);
    // TypeORM's entry point is not a migration: it opens the database through @app/database.
    expect(boundaryErrors('migrations/data-source.ts', "import { x } from '@app/database';\nexport { x };\n")).toEqual([]);
  });

  it('keep test support (@app/testing) to specs and test/, and specs out of test/', () => {
    const useTesting = "import { createTestDatabase } from '@app/testing';\nexport { createTestDatabase };\n";
    expect(boundaryErrors('libs/audit/src/probe.ts', useTesting)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*libs\/audit: only specs and test\/ may import @app\/testing/),
    ]);
    expect(boundaryErrors('apps/directory-cli/src/probe.ts', useTesting)).toEqual([
      expect.stringMatching(/apps\/directory-cli: only specs and test\/ may import @app\/testing/),
    ]);
    expect(boundaryErrors('libs/audit/src/probe.spec.ts', useTesting)).toEqual([]);
    expect(boundaryErrors('apps/directory-cli/src/probe.spec.ts', useTesting)).toEqual([]);
    for (const [lib, deps] of Object.entries(LIB_DEPENDENCIES)) expect([lib, deps.filter((d) => TEST_LIBS.includes(d))]).toEqual([lib, []]);

    const intoTest = (depth: number) => `import { World } from '${'../'.repeat(depth)}test/world.js';\nexport { World };\n`;
    expect(boundaryErrors('libs/access/src/probe.spec.ts', intoTest(3))).toHaveLength(1);
    expect(boundaryErrors('apps/directory-cli/src/city/probe.spec.ts', intoTest(4))).toHaveLength(1);
    // The test database runs the real migrations; no other library reaches them.
    const migrations = (depth: number) =>
      `import { migrations } from '${'../'.repeat(depth)}migrations/index.js';\nexport { migrations };\n`;
    expect(boundaryErrors('libs/testing/src/probe.ts', migrations(3))).toEqual([]);
    expect(boundaryErrors('libs/directory/src/probe.ts', migrations(3))).toHaveLength(1);
  });

  it('fail on deep imports, libraries reaching into apps, and apps importing each other', () => {
    expect(boundaryErrors('apps/directory-api/src/probe.ts', "import { x } from '@app/audit/merkle.js';\nexport { x };\n")).toHaveLength(1);
    expect(
      boundaryErrors('libs/directory/src/probe.ts', "import { x } from '../../../apps/directory-api/src/config.js';\nexport { x };\n"),
    ).toHaveLength(1);
    expect(boundaryErrors('libs/directory/src/probe.ts', "import { x } from '../../access/src/actions.js';\nexport { x };\n")).toHaveLength(
      1,
    );
    expect(
      boundaryErrors('apps/directory-api/src/probe.ts', "import { x } from '../../directory-cli/src/progress.js';\nexport { x };\n"),
    ).toHaveLength(1);
    expect(
      boundaryErrors('apps/directory-cli/src/probe.ts', "import { x } from '../../directory-api/src/config.js';\nexport { x };\n"),
    ).toHaveLength(1);
    expect(boundaryErrors('apps/directory-console/src/probe.tsx', "import { x } from '@app/directory';\nexport { x };\n")).toHaveLength(1);
    expect(
      boundaryErrors(`apps/${APPS[0]}/src/probe.ts`, "import { DirectoryService } from '@app/directory';\nexport { DirectoryService };\n"),
    ).toEqual([]);
  });
});
