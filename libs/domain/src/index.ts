export * from './domain.module.js';
export * from './domain-context.js';
