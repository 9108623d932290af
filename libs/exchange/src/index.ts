export * from './records.js';
export * from './exchange.repository.js';
export * from './exchange.service.js';
