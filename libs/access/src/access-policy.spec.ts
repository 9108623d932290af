import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { DepartmentRef, Role } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '../../../test/test-database.js';
import { actorOf, World, type WorldFile } from '../../../test/world.js';
import { CLASSIFICATIONS, type Action, type Classification } from './actions.js';
import { AccessPolicy } from './access-policy.js';
import { grantsHeldAt } from './grants.repository.js';

let database: TestDatabase;
let db: DataSource;
let world: World;
let owner: DepartmentRef;
let peer: DepartmentRef;
let stranger: DepartmentRef;
const files = new Map<Classification, WorldFile>();

async function policyOf(department: DepartmentRef, roles: Role[], at = new Date()): Promise<AccessPolicy> {
  return new AccessPolicy(actorOf(department, roles), await grantsHeldAt(db.manager, department.id, at), at);
}

/** The files of this test's two districts the policy allows, decided by SQL. */
async function allowedBySql(policy: AccessPolicy, action: Action): Promise<Set<string>> {
  const condition = policy.fileCondition('f', action);
  const rows = await db
    .createQueryBuilder()
    .select('f.id', 'id')
    .from('data_file', 'f')
    .where(condition.sql, condition.params)
    .andWhere('f.district_id IN (:...districts)', { districts: [owner.districtId, stranger.districtId] })
    .getRawMany<{ id: string }>();
  return new Set(rows.map((r) => r.id));
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  world = new World(db);
  const a = await world.district('rules-a');
  const b = await world.district('rules-b');
  owner = await world.department('rules-a-owner', a);
  peer = await world.department('rules-a-peer', a);
  stranger = await world.department('rules-b-stranger', b);
  for (const c of CLASSIFICATIONS) files.set(c, await world.file(owner, c));
});

afterAll(() => database.drop());

type Who = 'owner' | 'same district' | 'other district';
const T = true;
const F = false;

/** The default rule set (docs/architecture.md, "Who sees what"), as a table: may the caller DISCOVER/READ a file of each classification? */
const DEFAULT_TABLE: [Role, Who, [boolean, boolean, boolean, boolean]][] = [
  ['MEMBER', 'owner', [T, T, T, T]],
  ['MEMBER', 'same district', [T, T, F, F]],
  ['MEMBER', 'other district', [T, F, F, F]],
  ['STEWARD', 'same district', [T, T, F, F]],
  ['STEWARD', 'other district', [T, F, F, F]],
  ['DISTRICT_ADMIN', 'same district', [T, T, T, T]],
  ['DISTRICT_ADMIN', 'other district', [T, F, F, F]],
  ['PLATFORM_ADMIN', 'other district', [T, T, T, T]],
  ['AUDITOR', 'other district', [T, T, T, T]],
];

describe('default rules, before any grant', () => {
  const department = (who: Who) => (who === 'owner' ? owner : who === 'same district' ? peer : stranger);

  it.each(DEFAULT_TABLE)('%s of the %s reads PUBLIC, INTERNAL, RESTRICTED, CONFIDENTIAL: %j', async (role, who, expected) => {
    const policy = await policyOf(department(who), [role]);
    const sql = await allowedBySql(policy, 'DISCOVER');
    CLASSIFICATIONS.forEach((c, i) => {
      const file = files.get(c)!;
      expect([c, policy.can('DISCOVER', file)]).toEqual([c, expected[i]]);
      expect([c, policy.can('READ', file)]).toEqual([c, expected[i]]);
      expect([c, sql.has(file.id)]).toEqual([c, expected[i]]);
    });
  });

  it.each(DEFAULT_TABLE)('%s of the %s exchanges only what it owns', async (role, who) => {
    const policy = await policyOf(department(who), [role]);
    const sql = await allowedBySql(policy, 'EXCHANGE');
    for (const file of files.values()) {
      expect(policy.can('EXCHANGE', file)).toBe(who === 'owner');
      expect(sql.has(file.id)).toBe(who === 'owner');
    }
  });

  it('masks sensitive fields for everyone but the owner', async () => {
    const file = files.get('PUBLIC')!;
    const visible = (p: AccessPolicy) => p.visibleFields('READ', file, file.fields).map((f) => f.name);
    expect(visible(await policyOf(owner, ['MEMBER']))).toEqual(file.fields.map((f) => f.name));
    const masked = file.fields.filter((f) => !f.sensitive).map((f) => f.name);
    expect(visible(await policyOf(stranger, ['MEMBER']))).toEqual(masked);
    expect(visible(await policyOf(stranger, ['PLATFORM_ADMIN']))).toEqual(masked);
  });
});

describe('grants', () => {
  const day = 86_400_000;

  it.each([
    ['an active file grant', {}, true],
    ['an expired grant', { validFrom: new Date(Date.now() - 3 * day), expiresAt: new Date(Date.now() - day) }, false],
    ['a revoked grant', { revokedAt: new Date(Date.now() - 1000) }, false],
    ['a grant that starts tomorrow', { validFrom: new Date(Date.now() + day) }, false],
    ['a grant expiring tomorrow', { expiresAt: new Date(Date.now() + day) }, true],
  ])('%s: decides the same in memory and in SQL', async (_name, shape, active) => {
    const grantee = await world.department(`rules-grantee-${Math.random().toString(36).slice(2, 8)}`, { id: stranger.districtId, code: 'rules-b' });
    const file = await world.file(owner, 'CONFIDENTIAL');
    await world.grant({ fileId: file.id, grantee, action: 'READ', ...shape }, file.districtId);
    const policy = await policyOf(grantee, ['MEMBER']);
    expect(policy.can('READ', file)).toBe(active);
    expect(policy.can('EXCHANGE', file)).toBe(false);
    expect((await allowedBySql(policy, 'READ')).has(file.id)).toBe(active);
    expect((await allowedBySql(policy, 'EXCHANGE')).has(file.id)).toBe(false);
  });

  it('a scope grant covers the category of its district up to its classification', async () => {
    const grantee = await world.department('rules-scope-grantee', { id: stranger.districtId, code: 'rules-b' });
    const restricted = await world.file(owner, 'RESTRICTED', { category: 'vehicles' });
    const confidential = await world.file(owner, 'CONFIDENTIAL', { category: 'vehicles' });
    const otherCategory = await world.file(owner, 'RESTRICTED', { category: 'education' });
    await world.grant({ scope: { districtId: owner.districtId, category: 'vehicles', maxClassification: 'RESTRICTED' }, grantee, action: 'EXCHANGE' });
    const policy = await policyOf(grantee, ['MEMBER']);
    const sql = await allowedBySql(policy, 'EXCHANGE');
    expect([policy.can('EXCHANGE', restricted), sql.has(restricted.id)]).toEqual([true, true]);
    expect([policy.can('DISCOVER', confidential), sql.has(confidential.id)]).toEqual([false, false]);
    expect([policy.can('DISCOVER', otherCategory), sql.has(otherCategory.id)]).toEqual([false, false]);
  });

  it('a field-limited grant opens exactly the fields it names, sensitive ones included', async () => {
    const grantee = await world.department('rules-field-grantee', { id: stranger.districtId, code: 'rules-b' });
    const file = await world.file(owner, 'RESTRICTED');
    await world.grant({ fileId: file.id, grantee, action: 'EXCHANGE', fields: ['age', 'patient_name'] }, file.districtId);
    const policy = await policyOf(grantee, ['MEMBER']);
    expect(policy.visibleFields('EXCHANGE', file, file.fields).map((f) => f.name)).toEqual(['age', 'patient_name']);
    expect(policy.visibleFields('READ', file, file.fields).map((f) => f.name)).toEqual(['age', 'patient_name']);
  });

  it('a grant of all fields opens the sensitive ones too; explain names the grant', async () => {
    const grantee = await world.department('rules-all-grantee', { id: stranger.districtId, code: 'rules-b' });
    const file = await world.file(owner, 'INTERNAL');
    const grantId = await world.grant({ fileId: file.id, grantee, action: 'READ', fields: null, purpose: 'audit of spending' }, file.districtId);
    const policy = await policyOf(grantee, ['MEMBER']);
    expect(policy.visibleFields('READ', file, file.fields)).toEqual(file.fields);
    const explained = policy.explain(file);
    expect(explained.find((e) => e.action === 'READ')?.grants.map((g) => g.id)).toEqual([grantId]);
    expect(explained.find((e) => e.action === 'READ')?.reasons.join()).toContain('audit of spending');
    expect(explained.find((e) => e.action === 'EXCHANGE')?.reasons).toEqual([]);
  });
});
