import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@app/common';
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor.js';

describe('feed cursors', () => {
  it('round-trip a position in several ledgers, whatever the order it was built in', () => {
    const position = new Map([
      ['haidian', 12],
      ['platform', 3],
      ['chaoyang', 7],
    ]);
    const cursor = encodeFeedCursor(position);
    expect(decodeFeedCursor(cursor)).toEqual(position);
    expect(encodeFeedCursor(new Map([...position].reverse()))).toBe(cursor);
  });

  it('leave out ledgers not yet read, so that an empty position is a short cursor', () => {
    expect(decodeFeedCursor(encodeFeedCursor(new Map([['haidian', 0]])))).toEqual(new Map());
  });

  it.each([
    ['not base64 JSON', 'not a cursor'],
    ['another list cursor', Buffer.from(JSON.stringify(['2026-01-01 00:00:00+00', 'x'])).toString('base64url')],
    ['a negative seq', Buffer.from(JSON.stringify({ v: 1, p: { haidian: -1 } })).toString('base64url')],
    ['a fractional seq', Buffer.from(JSON.stringify({ v: 1, p: { haidian: 1.5 } })).toString('base64url')],
    ['a ledger name that is no code', Buffer.from(JSON.stringify({ v: 1, p: { "x'; --": 1 } })).toString('base64url')],
    ['an unknown version', Buffer.from(JSON.stringify({ v: 2, p: {} })).toString('base64url')],
  ])('refuse %s as BAD_USER_INPUT', (_what, cursor) => {
    expect(() => decodeFeedCursor(cursor)).toThrow(DomainError);
    try {
      decodeFeedCursor(cursor);
    } catch (error) {
      expect((error as DomainError).code).toBe('BAD_USER_INPUT');
    }
  });
});
