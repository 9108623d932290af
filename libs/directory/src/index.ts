export * from './onboarding.js';
export * from './directory.types.js';
export * from './directory.repository.js';
export * from './files.repository.js';
export * from './directory.service.js';
export * from './pilot/pilot-seed.js';
export * from './pilot/prng.js';
export * from './reference-data.js';
