export * from './data-source.js';
export * from './embedded-postgres.js';
export * from './connection.js';
export * from './connection-share.js';
export * from './database.module.js';
export * from './copy-rows.js';
export * from './read-replicas.js';
export { prepared } from './prepared-statements.js';
