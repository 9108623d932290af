// The directory's public surface: its service and module, types and the pilot data set.
// Repositories and their SQL stay inside.
export * from './directory.types.js';
export * from './directory.service.js';
export * from './district-ledgers.js';
export * from './directory.module.js';
export * from './file-schema.service.js';
export * from './file-schema.module.js';
export { KEPT_SEARCH_MATCHES, KEPT_SEARCH_MATCHES_MAX, KEPT_TOTAL_COUNTS_MAX, type NewFile } from './files.repository.js';
export type { FacetCount, FileFacetCounts } from './file-facets.repository.js';
export * from './pilot/pilot-seed.js';
export * from './pilot/prng.js';
export type { ReferenceSizes } from './reference-data.js';
export { copyFiles } from './file-import.js';
