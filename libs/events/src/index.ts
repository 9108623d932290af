export * from './feed-event.js';
export * from './feed-cursor.js';
export { verdict, holdsReadGrant, type Verdict } from './recipients.js';
export { MAX_EVENTS_PAGE, MAX_ENTRIES_SCANNED, EventsService, type FeedStream } from './events.service.js';
export { EXPIRY_NOTICE_DAYS } from './expiry-notices.js';
export * from './events.module.js';
