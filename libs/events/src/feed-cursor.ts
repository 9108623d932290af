import { badInput } from '@app/common';

/** How far a reader has read each ledger: the last seq it has seen, per ledger (0 when absent). */
export type FeedPosition = ReadonlyMap<string, number>;

const VERSION = 1;
/** More ledgers than a city has districts; a cursor naming more is not one this service issued. */
const MAX_LEDGERS = 1000;
const LEDGER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const notOurs = () => badInput('after is not a cursor this service issued for the change feed');

/**
 * A cursor holds a position in every ledger, not one (ledger, seq): ledgers
 * advance independently, so resuming from a single entry would either repeat
 * or skip another ledger's entries. Opaque to clients (base64url JSON).
 */
export function encodeFeedCursor(position: FeedPosition): string {
  const p: Record<string, number> = {};
  for (const [ledger, seq] of [...position].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (seq > 0) p[ledger] = seq;
  return Buffer.from(JSON.stringify({ v: VERSION, p })).toString('base64url');
}

export function decodeFeedCursor(cursor: string): Map<string, number> {
  if (cursor.length > 64 * 1024) throw notOurs();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw notOurs();
  }
  const { v, p } = (value ?? {}) as { v?: unknown; p?: unknown };
  if (v !== VERSION || !p || typeof p !== 'object' || Array.isArray(p)) throw notOurs();
  const entries = Object.entries(p as Record<string, unknown>);
  if (entries.length > MAX_LEDGERS) throw notOurs();
  const position = new Map<string, number>();
  for (const [ledger, seq] of entries) {
    if (!LEDGER_NAME.test(ledger) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw notOurs();
    position.set(ledger, seq);
  }
  return position;
}
