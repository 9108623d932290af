// The access library's public surface: rules, the per-caller policy, the services and their module.
// Repositories and their SQL stay inside.
export * from './actions.js';
export * from './ability.factory.js';
export { conditionToSql, type ConditionNode, type SqlFragment } from './rules-to-sql.js';
export { AccessPolicy, type CatalogueField, type CatalogueFieldFacts, type FieldFacts } from './access-policy.js';
export { AccessRules } from './access-rules.js';
export * from './access.service.js';
export * from './grant.service.js';
export type { StoredGrant, NewGrantRow, PermissionKey } from './grant.repository.js';
export * from './file-catalog.js';
export * from './grant-history.js';
export * from './grant-in-force.js';
export { lockFileSchema } from './schema-lock.js';
export * from './access.module.js';
