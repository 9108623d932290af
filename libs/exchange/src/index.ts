// The exchange's public surface: its service, module and row types. Repositories stay inside.
export * from './records.js';
export type { ExchangeRow, ExchangeStatus, PublishedVersion } from './exchange.repository.js';
export * from './exchange.service.js';
export * from './exchange.module.js';
