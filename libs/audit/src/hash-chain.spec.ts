import { describe, expect, it } from '@jest/globals';
import { canonicalEntry, ChainVerifier, entryHash, GENESIS_HASH, sealEntry, type AuditEntryData } from './hash-chain.js';

/** The worked example of docs/audit-format.md; change both together. */
export const WORKED_EXAMPLE = {
  entry: {
    ledger: 'chaoyang',
    seq: 1,
    occurredAt: '2026-11-27T08:30:00.000Z',
    actor: 'li.wei@chaoyang-civil-affairs-bureau',
    action: 'exchange.requested',
    subjectType: 'Exchange',
    subjectId: '6f1c2a4e-9d7b-4c1e-8a53-2b9f0e7d4c11',
    parties: ['beijing-health-commission', 'chaoyang-civil-affairs-bureau'],
    payload: { fields: ['age', 'diagnosis_code', 'visit_date'], purpose: 'eligibility verification', ratio: 1.5, note: '医疗 "records"' },
    prevHash: GENESIS_HASH,
  },
  canonical:
    '{"action":"exchange.requested","actor":"li.wei@chaoyang-civil-affairs-bureau","ledger":"chaoyang","occurredAt":"2026-11-27T08:30:00.000Z","parties":["beijing-health-commission","chaoyang-civil-affairs-bureau"],"payload":{"fields":["age","diagnosis_code","visit_date"],"note":"医疗 \\"records\\"","purpose":"eligibility verification","ratio":1.5},"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"subjectId":"6f1c2a4e-9d7b-4c1e-8a53-2b9f0e7d4c11","subjectType":"Exchange"}',
  hash: 'see docs/audit-format.md',
};

function chain(length: number): AuditEntryData[] {
  const entries: AuditEntryData[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const e = sealEntry(
      { ledger: 'test', actor: 'a', action: 'x', subjectType: 'T', subjectId: String(seq), payload: { n: seq } },
      seq,
      prev,
      new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    );
    entries.push(e);
    prev = e.hash;
  }
  return entries;
}

describe('canonical encoding and entry hash', () => {
  it('encodes the worked example exactly as the format document says', () => {
    expect(canonicalEntry(WORKED_EXAMPLE.entry)).toBe(WORKED_EXAMPLE.canonical);
  });

  it('hashes the worked example to the documented value', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/audit-format.md', import.meta.url), 'utf8');
    const documented = /hash:\s*`([0-9a-f]{64})`/.exec(doc)?.[1];
    expect(documented).toBeDefined();
    expect(entryHash(WORKED_EXAMPLE.entry)).toBe(documented);
  });

  it('does not depend on key order or on the hash field itself', () => {
    const e = WORKED_EXAMPLE.entry;
    const payload = { ratio: 1.5, note: e.payload.note, purpose: e.payload.purpose, fields: e.payload.fields };
    const reordered = Object.fromEntries(Object.entries({ ...e, payload }).reverse()) as typeof e;
    expect(Object.keys(reordered)[0]).toBe('prevHash');
    expect(entryHash(reordered)).toBe(entryHash(e));
    expect(entryHash({ ...e, hash: 'ignored' } as AuditEntryData)).toBe(entryHash(e));
  });

  it.each([
    ['ledger', { ledger: 'xicheng' }],
    ['seq', { seq: 2 }],
    ['time', { occurredAt: '2026-11-27T08:30:00.001Z' }],
    ['actor', { actor: 'someone@else' }],
    ['action', { action: 'exchange.approved' }],
    ['subject', { subjectId: 'other' }],
    ['parties', { parties: ['beijing-health-commission'] }],
    ['payload', { payload: { fields: ['age'] } }],
    ['link', { prevHash: 'f'.repeat(64) }],
  ])('changes when the %s changes', (_name, change) => {
    expect(entryHash({ ...WORKED_EXAMPLE.entry, ...change })).not.toBe(entryHash(WORKED_EXAMPLE.entry));
  });

  it('seals payloads as they will read back from jsonb', () => {
    const sealed = sealEntry(
      { ledger: 'l', actor: 'a', action: 'x', subjectType: 'T', subjectId: '1', payload: { at: new Date(0), skip: undefined, n: 1 } },
      1,
      GENESIS_HASH,
      new Date(0),
    );
    expect(sealed.payload).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    expect(entryHash(sealed)).toBe(sealed.hash);
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain', () => {
    const v = new ChainVerifier();
    expect(chain(20).every((e) => v.push(e))).toBe(true);
    expect(v.checked).toBe(20);
    expect(v.firstFault).toBeNull();
  });

  it.each([
    ['a changed payload', (c: AuditEntryData[]) => void (c[6] = { ...c[6], payload: { n: 99 } }), 7, 'hash-mismatch'],
    ['a changed hash', (c: AuditEntryData[]) => void (c[6] = { ...c[6], hash: 'a'.repeat(64) }), 7, 'hash-mismatch'],
    ['a deleted entry', (c: AuditEntryData[]) => void c.splice(6, 1), 7, 'gap'],
    ['swapped entries', (c: AuditEntryData[]) => void ([c[6], c[7]] = [c[7], c[6]]), 7, 'gap'],
    ['a wrong first link', (c: AuditEntryData[]) => void (c[0] = { ...c[0], prevHash: 'b'.repeat(64) }), 1, 'broken-link'],
  ])('finds %s at the right seq', (_name, tamper, seq, reason) => {
    const entries = chain(12);
    tamper(entries);
    const v = new ChainVerifier();
    for (const e of entries) if (!v.push(e)) break;
    expect(v.firstFault).toMatchObject({ seq, reason });
  });
});

describe('the fast canonical form', () => {
  it('equals canonicalize() of the whole entry, for many shapes of entry', async () => {
    const { default: canonicalize } = await import('canonicalize');
    const fc = (await import('fast-check')).default;
    const json = fc.jsonValue() as any;
    fc.assert(
      fc.property(
        fc.record({
          ledger: fc.string(),
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          occurredAt: fc.date({ noInvalidDate: true }).map((d: Date) => d.toISOString()),
          actor: fc.string({ unit: 'binary' }),
          action: fc.string(),
          subjectType: fc.string(),
          subjectId: fc.string({ unit: 'binary' }),
          parties: fc.array(fc.string({ unit: 'binary' })),
          payload: fc.dictionary(fc.string({ unit: 'binary' }), json),
          prevHash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
        }),
        (entry: any) => {
          expect(canonicalEntry(entry)).toBe(canonicalize(entry));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
