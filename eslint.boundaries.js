/**
 * Which library may import which: the dependency picture of docs/architecture.md,
 * enforced by ESLint's own no-restricted-imports (no plugin, no resolver needed,
 * since every import between libraries goes through an `@app/<lib>` alias).
 *
 * A library imports only the libraries it lists here, through their barrels.
 * The lists form a DAG (a test checks it), so no cycle between libraries can
 * be written without changing this file. Apps import libraries through their
 * barrels only, and never each other.
 */
export const LIB_DEPENDENCIES = {
  common: [],
  database: [],
  auth: ['common'],
  audit: ['common'],
  // access and directory bulk-load their tables with database's COPY helper; they and exchange mark hot statements `prepared`.
  access: ['common', 'database', 'auth', 'audit'],
  directory: ['common', 'database', 'auth', 'audit', 'access'],
  exchange: ['common', 'database', 'auth', 'audit', 'access', 'directory'],
  // The change feed: audit entries addressed by the access rules, about files, grants and exchanges.
  events: ['common', 'auth', 'audit', 'access', 'directory', 'exchange'],
  // The composition of every library's Nest module, which the API and the CLI share.
  domain: ['database', 'audit', 'access', 'directory', 'exchange'],
  // Test support: a database migrated by the real migrations, per test file, and audit rows written around the
  // append path as a forger would, in the audit library's own format. Only specs and test/ import it.
  testing: ['database', 'audit'],
};

/** Libraries for specs and test/ alone: no library's or app's code may import them. */
export const TEST_LIBS = ['testing'];

export const APPS = ['directory-api', 'directory-cli'];

const libs = Object.keys(LIB_DEPENDENCIES);

/** Deep imports (`@app/audit/merkle.js`) bypass the barrel, which is the library's public surface. */
const deepImport = { regex: '^@app/[^/]+/', message: 'import a library through its barrel (@app/<lib>), not a file inside it' };

/**
 * Relative paths that leave a library or an app: into apps, other libraries, tests, benchmarks, migrations.
 * The test support library alone reaches the migrations, which every test database runs through.
 */
const escape = (what, into = ['apps', 'libs', 'bench', 'migrations', 'test', '[a-z-]+/src']) => ({
  regex: `^(\\.\\./)+(${into.join('|')})(/|$)`,
  message: `${what} reaches other code only through @app/<lib> barrels`,
});

/** Code (not specs) importing test support. */
const testSupport = (what) => ({
  regex: `^@app/(${TEST_LIBS.join('|')})$`,
  message: `${what}: only specs and test/ may import ${TEST_LIBS.map((l) => `@app/${l}`).join(', ')}`,
});

function forLib(lib, { inSpec }) {
  // Specs also open test databases, through @app/testing and @app/database.
  const allowed = inSpec ? [...new Set([...LIB_DEPENDENCIES[lib], 'database', ...TEST_LIBS])] : LIB_DEPENDENCIES[lib];
  const forbidden = libs.filter((other) => other !== lib && !allowed.includes(other) && !TEST_LIBS.includes(other));
  const patterns = [deepImport];
  if (forbidden.length) {
    patterns.push({
      regex: `^@app/(${forbidden.join('|')})$`,
      message: `libs/${lib} may import only ${allowed.length ? allowed.map((l) => `@app/${l}`).join(', ') : 'no other library'} (eslint.boundaries.js)`,
    });
  }
  if (!inSpec && lib !== 'testing') patterns.push(testSupport(`libs/${lib}`));
  // A library's own barrel from inside it would be a cycle through index.ts.
  patterns.push({ regex: `^@app/${lib}$`, message: `inside libs/${lib}, import its files relatively, not its own barrel` });
  // Specs too: their shared helpers are @app/testing, not files under test/.
  patterns.push(lib === 'testing' ? escape(`libs/${lib}`, ['apps', 'libs', 'bench', 'test', '[a-z-]+/src']) : escape(`libs/${lib}`));
  return { 'no-restricted-imports': ['error', { patterns }] };
}

function forApp(app, { inSpec }) {
  const others = APPS.filter((a) => a !== app);
  const patterns = [
    deepImport,
    {
      regex: `(^|/)(libs|${others.join('|')})(/|$)`,
      message: `apps/${app} uses libraries through @app/<lib> barrels and never imports another app`,
    },
    // The API runs the migrations; nothing in an app reaches into the tests or the benchmarks.
    escape(`apps/${app}`, ['test', 'bench']),
  ];
  if (!inSpec) patterns.push(testSupport(`apps/${app}`));
  return { 'no-restricted-imports': ['error', { patterns }] };
}

/**
 * A migration keeps doing what it did when it was applied, so it imports
 * nothing that can change later: TypeORM's types and, at most, a migration
 * beside it. data-source.ts is not a migration but TypeORM's entry point.
 */
const migrationImports = {
  files: ['migrations/**/*.ts'],
  ignores: ['migrations/data-source.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '^(?!typeorm$|\\./[^/.][^/]*$)',
            message: "a migration imports only 'typeorm' (and files beside it in migrations/): its SQL is written out, never library code",
          },
        ],
      },
    ],
  },
};

/** ESLint flat-config blocks, one per library and one per app (code, then specs), and one for migrations. */
export function boundaryConfigs() {
  return [
    ...libs.flatMap((lib) => [
      { files: [`libs/${lib}/**/*.ts`], rules: forLib(lib, { inSpec: false }) },
      { files: [`libs/${lib}/**/*.spec.ts`], rules: forLib(lib, { inSpec: true }) },
    ]),
    ...APPS.flatMap((app) => [
      { files: [`apps/${app}/**/*.ts`], rules: forApp(app, { inSpec: false }) },
      { files: [`apps/${app}/**/*.spec.ts`], rules: forApp(app, { inSpec: true }) },
    ]),
    {
      // The console is a separate app that speaks only the public GraphQL API.
      files: ['apps/directory-console/**/*.ts', 'apps/directory-console/**/*.tsx'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: '^@app/|(^|/)(libs|directory-api|directory-cli)(/|$)',
                message: 'the console talks to the service only through GraphQL',
              },
            ],
          },
        ],
      },
    },
    migrationImports,
  ];
}
