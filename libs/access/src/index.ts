export * from './actions.js';
export * from './ability.factory.js';
export * from './rules-to-sql.js';
export * from './access-policy.js';
export * from './grants.repository.js';
export * from './access.service.js';
export * from './permissions.repository.js';
export * from './permissions.service.js';
