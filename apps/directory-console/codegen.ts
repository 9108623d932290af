import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed operations from the public contract (plus the served fields the console uses). */
const config: CodegenConfig = {
  schema: ['docs/api-contract.graphql', 'apps/directory-console/src/api/served-extensions.graphql'],
  documents: ['apps/directory-console/src/**/*.{ts,tsx}', '!apps/directory-console/src/gql/**'],
  ignoreNoDocuments: true,
  generates: {
    'apps/directory-console/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown', BigInt: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
