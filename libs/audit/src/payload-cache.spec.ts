import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { appendAuditEntries } from './audit-append.js';

/**
 * audit_jcs writes a payload's RFC 8785 text inside PostgreSQL, for the
 * verification that hashes there. It may decline (NULL: that entry is then
 * encoded in JavaScript), but whatever it writes must be exactly what
 * canonicalize writes, or verification inside the database would disagree with
 * the format.
 */
let database: TestDatabase;
let db: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(() => database.drop());

async function jcsInDatabase(values: unknown[]): Promise<(string | null)[]> {
  const rows = await db.query<{ jcs: string | null }[]>(
    `SELECT audit_jcs(v) AS jcs FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(v, n) ORDER BY n`,
    [JSON.stringify(values)],
  );
  return rows.map((r) => r.jcs);
}

// Strings with what JSON escapes, non-ASCII, astral characters and the private use area (which sorts differently in UTF-16).
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', '"', '\\', '\n\t\b\f\r', '\u0001\u001f', '\u007f', 'é', '医疗', '😀', '\uE000', '\uFFFD', 'a/b', '</script>'),
);
const number = fc.oneof(
  { arbitrary: fc.integer({ min: -1e9, max: 1e9 }), weight: 6 },
  {
    arbitrary: fc.constantFrom(0, -0, 1.5, -2.25, 0.1, 1e-6, 1e-7, 123456789012345, 1234567890123456, 2 ** 53, 1e20, 1e21, 5e-324),
    weight: 2,
  },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);
const key = fc.oneof({ arbitrary: fc.string({ maxLength: 6 }), weight: 4 }, { arbitrary: text, weight: 1 });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, number, text, fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));

describe('audit_jcs', () => {
  it('writes exactly what canonicalize writes, or declines', async () => {
    let compared = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(json.object, { minLength: 1, maxLength: 20 }), async (payloads) => {
        const written = await jcsInDatabase(payloads);
        total += payloads.length;
        written.forEach((jcs, i) => {
          if (jcs === null) return;
          expect(jcs).toBe(canonicalize(payloads[i]));
          compared += 1;
        });
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 30) },
    );
    // Many random payloads are written (declining is for doubles and rare keys), so the comparison has teeth.
    expect(compared).toBeGreaterThan(total / 5);
  });

  it('writes the payloads entries hold, and declines numbers past 15 significant digits or outside plain notation, and keys past U+DFFF', async () => {
    const ordinary = [
      { fields: ['age', 'visit_date'], contentHash: 'ab'.repeat(32), version: 3 },
      { nested: { deeper: [1, -2, 0.5, 'x', null, true, {}] }, note: '医疗 "records"\n', ratio: 1.5, '': 0 },
      { big: 1e20, small: 0.000001, digits: 123456789012345 },
    ];
    const declined = [{ n: 1e21 }, { n: 1e-7 }, { n: 1234567890123456 }, { n: 0.1 + 0.2 }, { '😀': 1, '\uE000': 2 }];
    const written = await jcsInDatabase([...ordinary, ...declined]);
    expect(written.slice(0, ordinary.length)).toEqual(ordinary.map((p) => canonicalize(p)));
    expect(written.slice(ordinary.length)).toEqual(declined.map(() => null));
  });

  it('is stored with every entry by the database, from the payload as stored, whatever the writer sends', async () => {
    const payload = { b: [2, 1], a: 'é' };
    await db.transaction((tx) =>
      appendAuditEntries(tx, [{ ledger: 'cache', actor: 'a', action: 'x', subjectType: 'T', subjectId: '1', parties: [], payload }]),
    );
    const [row] = await db.query<{ payload_jcs: string }[]>(`SELECT payload_jcs FROM audit_entry WHERE ledger = 'cache'`);
    expect(row.payload_jcs).toBe(canonicalize(payload));
  });
});
