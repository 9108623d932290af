import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { appendAuditEntry, AuditRepository } from '@app/audit';
import { AUDIT_ENTRY_CHANNEL } from '../migrations/1796000000000-AuditEntryNotify.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';

let database: TestDatabase;
let db: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(() => database.drop());

const entry = (ledger: string, n: number) => ({
  ledger,
  actor: 'tester@test',
  action: 'test.noted',
  subjectType: 'Test',
  subjectId: `t${n}`,
  parties: [],
  payload: { n },
});

describe('every committed audit entry announces itself', () => {
  it('appends still work with the trigger in place (also on the embedded database)', async () => {
    const appended = await db.transaction((tx) => appendAuditEntry(tx, entry('platform', 0)));
    expect(appended.seq).toBeGreaterThan(0);
  });

  it('a listener hears (ledger, seq) of each committed entry, in commit order, and nothing of a rolled-back one', async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has one session, so no second connection can LISTEN');
      return;
    }
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const heard: { ledger: string; seq: number }[] = [];
    listener.on('notification', (n) => {
      if (n.channel === AUDIT_ENTRY_CHANNEL) heard.push(JSON.parse(n.payload!));
    });
    await listener.query(`LISTEN ${AUDIT_ENTRY_CHANNEL}`);
    try {
      const first = await db.transaction((tx) => appendAuditEntry(tx, entry('platform', 1)));
      await expect(
        db.transaction(async (tx) => {
          await appendAuditEntry(tx, entry('platform', 2));
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      const second = await db.transaction((tx) => appendAuditEntry(tx, entry('platform', 3)));
      await listener.query('SELECT 1'); // notifications queued before this round trip have been delivered
      expect(heard).toEqual([
        { ledger: 'platform', seq: first.seq },
        { ledger: 'platform', seq: second.seq },
      ]);
      expect(second.seq).toBe(first.seq + 1);
    } finally {
      await listener.end();
    }
  });
  it("the ledgers' sizes by skip scan are those counted by reading every entry", async () => {
    for (const [ledger, n] of [
      ['feed-a', 3],
      ['feed-b', 1],
      ['feed-c', 2],
    ] as const) {
      for (let i = 0; i < n; i++) await db.transaction((tx) => appendAuditEntry(tx, entry(ledger, i)));
    }
    const repository = new AuditRepository(db);
    const tails = await repository.tails();
    expect(tails).toEqual(await repository.ledgers());
    expect(tails.filter((t) => t.ledger.startsWith('feed-'))).toEqual([
      { ledger: 'feed-a', size: 3 },
      { ledger: 'feed-b', size: 1 },
      { ledger: 'feed-c', size: 2 },
    ]);
  });
});
