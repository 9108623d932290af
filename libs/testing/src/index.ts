// Test support, for specs and test/ only (eslint.boundaries.js): a migrated database per test file.
export * from './test-database.js';
export * from './audit-rows.js';
export * from './index-reads.js';
