export * from './actor.js';
export * from './auth-config.js';
export * from './tokens.js';
