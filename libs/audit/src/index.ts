// The audit log's public surface: the pure format (hash chain, Merkle tree, checkpoints,
// receipts, consistency), the append, the service and its module.
export * from './hash-chain.js';
export * from './merkle.js';
export * from './checkpoint.js';
export * from './receipt.js';
export { appendAuditEntries, AUDIT_ENTRY_COLUMNS, toEntryData, type AuditEntryRow } from './audit-append.js';
export * from './ledgers.js';
export * from './ledger-verifier.js';
export type { StoredCheckpoint } from './audit.repository.js';
// Named for the audit benchmark, which reads ledgers directly; nothing else outside the library uses it.
export { AuditRepository } from './audit.repository.js';
export * from './audit.service.js';
export * from './ledger-reader.js';
export * from './audit-config.js';
export * from './checkpoint.scheduler.js';
export * from './consistency.js';
export * from './merkle-store.js';
export * from './range-verifier.js';
export * from './audit.module.js';
export * from './audit-log.js';
