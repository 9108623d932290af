/**
 * Every limit on what a request may carry, in one place (README's limits
 * table is written from this file). Text that reaches the database is bounded
 * here, before any resolver runs: whatever is written to the audit log is
 * kept forever.
 */

/** Maximum characters of a text argument, by argument or input-field name. */
export const TEXT_LIMITS: Readonly<Record<string, number>> = {
  search: 200,
  purpose: 500,
  reason: 1_000,
  note: 1_000,
  description: 2_000,
  title: 300,
  category: 100,
  tags: 50,
  name: 63,
  // A change feed cursor holds a position in every ledger (about 20 characters each).
  after: 4_000,
};

/** Any other text argument: codes, ids, ledgers, cursors, formats. */
export const DEFAULT_TEXT_LIMIT = 200;

/** Items in a list argument, by name; any other list takes DEFAULT_LIST_LIMIT. */
export const LIST_LIMITS: Readonly<Record<string, number>> = {
  records: 10_000,
};
export const DEFAULT_LIST_LIMIT = 200;

/**
 * Arguments holding JSON values (published records): their text is checked
 * for what PostgreSQL cannot store, but not bounded by the limits above; the
 * service bounds their total size.
 */
export const JSON_ARGUMENTS: ReadonlySet<string> = new Set(['records']);

/** Deepest JSON value accepted (records are flat rows: 32 is generous). */
export const MAX_JSON_DEPTH = 32;

/** Deepest bracket nesting of a request body (its envelope and variables around such values), checked before it is parsed. */
export const MAX_BODY_NESTING = 2 * MAX_JSON_DEPTH;

/** Nesting of brackets and braces in the query text, checked before parsing. */
export const MAX_QUERY_NESTING = 64;
/** Tokens in the query text. */
export const MAX_QUERY_TOKENS = 5_000;
/** Fields in the query once every fragment is expanded. */
export const MAX_EXPANDED_FIELDS = 2_000;
/** Fields (aliases included) at the top of an operation. */
export const MAX_ROOT_FIELDS = 20;

/** The largest WebSocket message (a subscription's start is a few hundred bytes); a larger one closes the connection (1009). */
export const MAX_WEBSOCKET_MESSAGE_KIB = 64;

/** The largest request body the service reads. */
export const REQUEST_BODY_LIMIT_MIB = 10;
