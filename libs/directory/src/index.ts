export * from './onboarding.js';
