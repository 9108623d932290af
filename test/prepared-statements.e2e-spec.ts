/**
 * Hot statements go to PostgreSQL as named prepared statements: each
 * connection parses and plans them once. Checked on the server itself
 * (pg_prepared_statements lists what the session has prepared), on one
 * pooled connection so that every statement shares a session.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ANY_DISTRICT } from '@app/common';
import { createDataSource, prepared, QueryCounter } from '@app/database';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { grantsHeldAt } from '../libs/access/src/grants-held.repository.js';

let database: TestDatabase;
let db: DataSource;
const counter = new QueryCounter();

const preparedTexts = async (): Promise<string[]> =>
  (await db.query<{ statement: string }[]>(`SELECT statement FROM pg_prepared_statements`)).map((r) => r.statement);

beforeAll(async () => {
  database = await createTestDatabase();
  // A pool of one connection: every statement of the test runs in one session.
  db = await createDataSource({ url: database.url, poolSize: 1, logger: counter, applicationName: 'tests' }).initialize();
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('prepared statements', () => {
  it('runs a marked text by name, on the connection and in a transaction alike, and leaves others unnamed', async () => {
    const marked = prepared('SELECT $1::int + 1 AS n');
    const unmarked = 'SELECT $1::int + 2 AS n';
    expect(await db.query(marked, [41])).toEqual([{ n: 42 }]);
    expect(await db.query(marked, [1])).toEqual([{ n: 2 }]);
    expect(await db.query(unmarked, [40])).toEqual([{ n: 42 }]);
    expect(await db.transaction((tx) => tx.query(marked, [2]))).toEqual([{ n: 3 }]);
    const texts = await preparedTexts();
    expect(texts).toContain(marked);
    expect(texts).not.toContain(unmarked);
    // TypeORM still sees (and logs) the statement's own text.
    expect(counter.statements).toContain(marked);
  });

  it('gives texts shaped by requests a budget of their own: past it they run unnamed, and fixed texts are still prepared', async () => {
    const shaped = Array.from({ length: 70 }, (_, i) => `SELECT $1::int + ${i} AS n /* shape ${i} */`);
    for (const text of shaped) expect(await db.query(prepared(text, 'shaped'), [1])).toHaveLength(1);
    const fixed = prepared('SELECT $1::int * 2 AS n /* fixed, after the shapes */');
    expect(await db.query(fixed, [21])).toEqual([{ n: 42 }]);
    const texts = new Set(await preparedTexts());
    expect(shaped.filter((t) => texts.has(t))).toHaveLength(64);
    expect(shaped.slice(64).some((t) => texts.has(t))).toBe(false);
    expect(texts.has(fixed)).toBe(true);
  });

  it("prepares the statement that decides every caller's policy", async () => {
    await grantsHeldAt(db.manager, ANY_DISTRICT, '00000000-0000-0000-0000-000000000001', new Date());
    expect((await preparedTexts()).some((t) => t.includes('FROM permission p') && t.includes('permission_review'))).toBe(true);
  });
});
