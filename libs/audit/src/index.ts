export * from './hash-chain.js';
export * from './merkle.js';
export * from './checkpoint.js';
export * from './receipt.js';
export * from './audit-append.js';
export const PLATFORM_LEDGER = 'platform';
