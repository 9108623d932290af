/**
 * The directory benchmark's peer, PostGraphile 4, names a table's relations
 * after the columns of the foreign keys behind them (its default inflection:
 * `departmentByDistrictIdAndOwnerDepartmentId` for data_file's key on
 * (district_id, owner_department_id)). Its page is a text the benchmark sends
 * as written, which no test ran: when a migration gave the file's owner key
 * its district, the benchmark stopped at the peer's first page a stop later.
 * Here every relation the page asks for is derived from the migrated
 * catalogue as PostGraphile derives it, without installing the peer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { PEER_PAGE } from '../bench/postgraphile-peer.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

const upperCamel = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase());
const camel = (name: string) => upperCamel(name).replace(/^./, (c) => c.toLowerCase());

/** The columns, in the key's order, of each foreign key from `from` to `to`. */
async function keysBetween(from: string, to: string): Promise<string[][]> {
  const db = await database.dataSource();
  const rows = await db.query<{ columns: string[] }[]>(
    `SELECT array_agg(a.attname::text ORDER BY k.n) AS columns
       FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
      WHERE c.contype = 'f' AND c.conrelid = $1::regclass AND c.confrelid = $2::regclass
      GROUP BY c.oid`,
    [from, to],
  );
  return rows.map((r) => r.columns);
}

const byKeys = (columns: string[]) => `By${columns.map(upperCamel).join('And')}`;

describe("the PostGraphile peer's page", () => {
  it.each([
    // data_file's own keys: one row each (singleRelationByKeys).
    ['the owner', 'data_file', 'department', (keys: string[]) => `${camel('department')}${byKeys(keys)}`],
    ['the district', 'data_file', 'district', (keys: string[]) => `${camel('district')}${byKeys(keys)}`],
    // data_field's key on data_file: the file's fields (manyRelationByKeys, the table's name made plural).
    ['the fields', 'data_field', 'data_file', (keys: string[]) => `${camel('data_fields')}${byKeys(keys)}`],
  ])('asks for %s by the name PostGraphile derives from the key', async (_what, from, to, name) => {
    const keys = await keysBetween(from, to);
    expect(keys).toHaveLength(1);
    expect(PEER_PAGE).toMatch(new RegExp(`\\b${name(keys[0])}\\b`));
  });
});
