/** The ledger of platform-wide events, and of every district checkpoint (anchored there). */
export const PLATFORM_LEDGER = 'platform';
