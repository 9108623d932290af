import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { AuditKeys, AuditRepository, AuditService, canonicalEntry, entryHash, PLATFORM_LEDGER, type AuditEntryData } from '@app/audit';
import { migrations } from '../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';

/**
 * The applied district onboardings must keep doing exactly what they did when
 * they ran: the fixture was recorded from them and holds, per migration, the
 * rows it creates and the platform entries it appends (their canonical text
 * with the two run-time values, occurredAt and prevHash, blanked out).
 */
interface OnboardingFixture {
  migration: string;
  district: { code: string; name: string; level: string };
  departments: { code: string; name: string; district: string }[];
  entries: {
    actor: string;
    action: string;
    subject_type: string;
    subject_id: string;
    parties: string[];
    payload: unknown;
    canonical: string;
  }[];
}

const fixture = JSON.parse(readFileSync(new URL('fixtures/onboarding-migrations.json', import.meta.url), 'utf8')) as OnboardingFixture[];

let database: TestDatabase;
let db: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(() => database.drop());

/** The platform ledger's entries appended by one migration, in order. */
async function entriesOf(migration: string): Promise<AuditEntryData[]> {
  const entries: AuditEntryData[] = [];
  for await (const batch of new AuditRepository(db).stream(PLATFORM_LEDGER)) entries.push(...batch);
  return entries.filter((e) => e.actor === `migration:${migration}`);
}

/** What one onboarding left in a freshly migrated database, in the fixture's form. */
async function recorded(migration: string, code: string): Promise<OnboardingFixture> {
  const [district] = await db.query<OnboardingFixture['district'][]>(`SELECT code, name, level FROM district WHERE code = $1`, [code]);
  const departments = await db.query<OnboardingFixture['departments']>(
    `SELECT dep.code, dep.name, d.code AS district FROM department dep JOIN district d ON d.id = dep.district_id
      WHERE d.code = $1 ORDER BY dep.code`,
    [code],
  );
  const entries = (await entriesOf(migration)).map((e) => ({
    actor: e.actor,
    action: e.action,
    subject_type: e.subjectType,
    subject_id: e.subjectId,
    parties: e.parties,
    payload: e.payload,
    canonical: canonicalEntry({ ...e, occurredAt: '', prevHash: '' }),
  }));
  return { migration, district, departments, entries };
}

describe('the district onboarding migrations', () => {
  it('are the 17 of the fixture, in the migration list', () => {
    const onboardings = migrations.map((m) => m.name).filter((n) => n.startsWith('OnboardDistrict'));
    expect(fixture.map((f) => f.migration)).toEqual(onboardings.slice(0, fixture.length));
    expect(fixture).toHaveLength(17);
  });

  it('create the districts and departments and append the platform entries recorded from them', async () => {
    for (const expected of fixture) {
      expect(await recorded(expected.migration, expected.district.code)).toEqual(expected);
    }
  });

  it('append entries whose hash is the SHA-256 of their canonical text, in a platform ledger that verifies', async () => {
    for (const { migration } of fixture) {
      const entries = await entriesOf(migration);
      expect(entries).toHaveLength(1);
      for (const e of entries) expect(entryHash(e)).toBe(e.hash);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const audit = new AuditService(db, new AuditKeys(privateKey, [createPublicKey(privateKey)]));
    expect(await audit.verifyLedger(PLATFORM_LEDGER)).toMatchObject({ ok: true });
  });
});
