import { badInput } from './errors.js';

export const MAX_PAGE_SIZE = 200;

export function checkPageSize(first: number, max = MAX_PAGE_SIZE): number {
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw badInput(`first must be an integer from 1 to ${max}, got ${first}`);
  }
  return first;
}

/** Cursors are opaque to clients: base64url of the sort key values. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badInput('after is not a cursor this service issued');
  }
  if (!Array.isArray(values) || values.length !== arity || !values.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw badInput('after is not a cursor this service issued');
  }
  return values;
}

export interface Page<T> {
  items: { cursor: string; node: T }[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Given up to first + 1 rows, the page of `first` and whether more follow. */
export function toPage<T>(rows: T[], first: number, cursorOf: (row: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return { items, hasNextPage: rows.length > first, endCursor: items.length ? items[items.length - 1].cursor : null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** A cursor of [timestamptz as text, uuid], as lists sorted by time then id issue. */
export function decodeTimeCursor(cursor: string): [string, string] {
  const [key, id] = decodeCursor(cursor, 2);
  if (typeof key !== 'string' || !TIMESTAMP_TEXT.test(key) || !isUuid(id)) throw badInput('after is not a cursor this service issued for this query');
  return [key, id];
}

/** A stated purpose: required, trimmed, bounded. */
export function requirePurpose(purpose: string | null | undefined, max = 500): string {
  const p = purpose?.trim() ?? '';
  if (!p) throw badInput('purpose must say why the access or data is needed');
  if (p.length > max) throw badInput(`purpose may be at most ${max} characters`);
  return p;
}
