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
  // access and directory bulk-load their tables with database's COPY helper.
  access: ['common', 'database', 'auth', 'audit'],
  directory: ['common', 'database', 'auth', 'audit', 'access'],
  exchange: ['common', 'auth', 'audit', 'access', 'directory'],
  // The change feed: audit entries addressed by the access rules, about files, grants and exchanges.
  events: ['common', 'auth', 'audit', 'access', 'directory', 'exchange'],
  // The composition of every library's Nest module, which the API and the CLI share.
  domain: ['database', 'audit', 'access', 'directory', 'exchange'],
};

export const APPS = ['directory-api', 'directory-cli'];

const libs = Object.keys(LIB_DEPENDENCIES);

/** Deep imports (`@app/audit/merkle.js`) bypass the barrel, which is the library's public surface. */
const deepImport = { regex: '^@app/[^/]+/', message: 'import a library through its barrel (@app/<lib>), not a file inside it' };

/** Relative paths that leave a library or an app: into apps, other libraries, tests, benchmarks, migrations. */
const escape = (what) => ({
  regex: '^(\\.\\./)+(apps|libs|bench|migrations|test|[a-z-]+/src)(/|$)',
  message: `${what} reaches other code only through @app/<lib> barrels`,
});

function forLib(lib, { inSpec }) {
  // Specs also open test databases through @app/database.
  const allowed = inSpec ? [...new Set([...LIB_DEPENDENCIES[lib], 'database'])] : LIB_DEPENDENCIES[lib];
  const forbidden = libs.filter((other) => other !== lib && !allowed.includes(other));
  const patterns = [deepImport];
  if (forbidden.length) {
    patterns.push({
      regex: `^@app/(${forbidden.join('|')})$`,
      message: `libs/${lib} may import only ${allowed.length ? allowed.map((l) => `@app/${l}`).join(', ') : 'no other library'} (eslint.boundaries.js)`,
    });
  }
  // A library's own barrel from inside it would be a cycle through index.ts.
  patterns.push({ regex: `^@app/${lib}$`, message: `inside libs/${lib}, import its files relatively, not its own barrel` });
  // Specs may use the shared test helpers; the library's code may not.
  if (!inSpec) patterns.push(escape(`libs/${lib}`));
  return { 'no-restricted-imports': ['error', { patterns }] };
}

function forApp(app) {
  const others = APPS.filter((a) => a !== app);
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          deepImport,
          {
            regex: `(^|/)(libs|${others.join('|')})(/|$)`,
            message: `apps/${app} uses libraries through @app/<lib> barrels and never imports another app`,
          },
        ],
      },
    ],
  };
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

/** ESLint flat-config blocks, one per library (code and specs), one per app, and one for migrations. */
export function boundaryConfigs() {
  return [
    ...libs.flatMap((lib) => [
      { files: [`libs/${lib}/**/*.ts`], rules: forLib(lib, { inSpec: false }) },
      { files: [`libs/${lib}/**/*.spec.ts`], rules: forLib(lib, { inSpec: true }) },
    ]),
    ...APPS.map((app) => ({ files: [`apps/${app}/**/*.ts`], rules: forApp(app) })),
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
