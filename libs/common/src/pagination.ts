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
  if (!Array.isArray(values) || values.length !== arity || !values.every((v: unknown) => typeof v === 'number' || storable(v))) {
    throw badInput('after is not a cursor this service issued');
  }
  return values;
}

// Text PostgreSQL can hold, as the edge's text check (TextInputPipe) has it: no NUL, no unpaired surrogate.
// A cursor is decoded past that check.
const storable = (v: unknown): v is string => typeof v === 'string' && !v.includes('\u0000') && v.isWellFormed();

export interface Page<T> {
  items: { cursor: string; node: T }[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** The same page with its nodes converted as a batch (e.g. named by one lookup), cursors kept. */
export async function convertPage<T, U>(page: Page<T>, convert: (nodes: T[]) => Promise<U[]>): Promise<Page<U>> {
  const converted = await convert(page.items.map((item) => item.node));
  return { ...page, items: page.items.map((item, i) => ({ cursor: item.cursor, node: converted[i] })) };
}

/** Given up to first + 1 rows, the page of `first` and whether more follow. */
export function toPage<T>(rows: T[], first: number, cursorOf: (row: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return { items, hasNextPage: rows.length > first, endCursor: items.length ? items[items.length - 1].cursor : null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2}(?::\d{2})?)$/;

/**
 * Whether a zone offset (`Z`, `+08`, `-05:30`) is one PostgreSQL takes (at
 * most 15:59 either way) and JavaScript reads: a wider one passes a pattern
 * of digits and then fails the cast.
 */
export function isZoneOffset(offset: string): boolean {
  if (/^z$/i.test(offset)) return true;
  const parts = /^[+-](\d{2})(?::?(\d{2}))?$/.exec(offset);
  return parts !== null && Number(parts[1]) <= 15 && Number(parts[2] ?? 0) <= 59;
}

/** Whether the date and time of day exist on the calendar (2024-02-30 does not), so a cast cannot fail. */
export function isCalendarDateTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): boolean {
  const t = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    year >= 1 &&
    t.getUTCFullYear() === year &&
    t.getUTCMonth() === month - 1 &&
    t.getUTCDate() === day &&
    t.getUTCHours() === hour &&
    t.getUTCMinutes() === minute &&
    t.getUTCSeconds() === second
  );
}

const notOurCursor = () => badInput('after is not a cursor this service issued for this query');

/** A cursor of [timestamptz as text, uuid], as lists sorted by time then id issue. */
export function decodeTimeCursor(cursor: string): [string, string] {
  const [key, id] = decodeCursor(cursor, 2);
  const parts = typeof key === 'string' ? TIMESTAMP_TEXT.exec(key) : null;
  if (
    !parts ||
    !isUuid(id) ||
    !isZoneOffset(parts[8]) ||
    !isCalendarDateTime(...(parts.slice(1, 7).map(Number) as [number, number, number, number, number, number]))
  ) {
    throw notOurCursor();
  }
  return [key as string, id];
}

/** A search rank (a float4 from ts_rank, never negative nor huge) then a uuid. */
export function decodeRankCursor(cursor: string): [number, string] {
  const [rank, id] = decodeCursor(cursor, 2);
  if (typeof rank !== 'number' || !Number.isFinite(rank) || rank < 0 || rank > 1e6 || !isUuid(id)) throw notOurCursor();
  return [rank, id];
}

/** A stated purpose: required, trimmed, bounded. */
export function requirePurpose(purpose: string | null | undefined, max = 500): string {
  const p = purpose?.trim() ?? '';
  if (!p) throw badInput('purpose must say why the access or data is needed');
  if (p.length > max) throw badInput(`purpose may be at most ${max} characters`);
  return p;
}
