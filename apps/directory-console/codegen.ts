import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed operations from the public contract: the console uses nothing else. */
const config: CodegenConfig = {
  schema: ['docs/api-contract.graphql'],
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
