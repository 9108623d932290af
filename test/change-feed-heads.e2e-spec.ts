import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { appendAuditEntries, AuditRepository } from '@app/audit';
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

/**
 * The change feed reads the ledgers' heads (AuditFeedListener); no audited
 * write notifies, since PostgreSQL commits notifying transactions one at a
 * time (migration AuditFeedPollsHeads).
 */
describe("the change feed reads the ledgers' heads", () => {
  it('an audited write notifies no one: a listener on the old channel hears nothing', async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has one session, so no second connection can LISTEN');
      return;
    }
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.channel));
    await listener.query(`LISTEN ${AUDIT_ENTRY_CHANNEL}`);
    try {
      const [appended] = await db.transaction((tx) => appendAuditEntries(tx, [entry('platform', 1)]));
      expect(appended.seq).toBeGreaterThan(0);
      await listener.query('SELECT 1'); // a notification sent before this round trip would have arrived
      expect(heard).toEqual([]);
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
      for (let i = 0; i < n; i++) await db.transaction((tx) => appendAuditEntries(tx, [entry(ledger, i)]));
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
