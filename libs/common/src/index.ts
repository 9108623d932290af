export * from './errors.js';
export * from './pagination.js';
export * from './dev-secrets.js';
export * from './environment.js';
export * from './sql-params.js';
export * from './district-scope.js';
export * from './new-id.js';
