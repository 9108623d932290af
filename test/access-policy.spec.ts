import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AccessPolicy, CLASSIFICATIONS, grantorIsRecipient, type Action, type Classification } from '@app/access';
import type { DepartmentRef, Role } from '@app/auth';
import { ANY_DISTRICT } from '@app/common';
import { createTestDatabase, type TestDatabase } from '@app/testing';
// The grants a department holds, as the access service reads them, below its public surface.
import { grantsHeldAt } from '../libs/access/src/grants-held.repository.js';
import { actorOf, World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let world: World;
let owner: DepartmentRef;
let peer: DepartmentRef;
let stranger: DepartmentRef;
const files = new Map<Classification, WorldFile>();

async function policyOf(department: DepartmentRef, roles: Role[], at = new Date()): Promise<AccessPolicy> {
  return new AccessPolicy(actorOf(department, roles), await grantsHeldAt(db.manager, ANY_DISTRICT, department.id, at), at);
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

  it('shows the whole field catalogue with READ; only the owner obtains values', async () => {
    const file = files.get('PUBLIC')!;
    const catalogue = (p: AccessPolicy) => p.fieldCatalogue(file, file.fields).map((f) => [f.name, f.sensitive, f.obtainable]);
    const all = (obtainable: boolean) => file.fields.map((f) => [f.name, f.sensitive, obtainable]);
    expect(file.fields.some((f) => f.sensitive)).toBe(true);
    expect(catalogue(await policyOf(owner, ['MEMBER']))).toEqual(all(true));
    expect(catalogue(await policyOf(stranger, ['MEMBER']))).toEqual(all(false));
    expect(catalogue(await policyOf(stranger, ['PLATFORM_ADMIN']))).toEqual(all(false));
    const hidden = files.get('CONFIDENTIAL')!;
    expect((await policyOf(stranger, ['MEMBER'])).fieldCatalogue(hidden, hidden.fields)).toEqual([]);
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
    const grantee = await world.department(`rules-grantee-${Math.random().toString(36).slice(2, 8)}`, {
      id: stranger.districtId,
      code: 'rules-b',
    });
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
    await world.grant({
      scope: { districtId: owner.districtId, category: 'vehicles', maxClassification: 'RESTRICTED' },
      grantee,
      action: 'EXCHANGE',
    });
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
    expect(policy.obtainableFields(file, file.fields).map((f) => f.name)).toEqual(['age', 'patient_name']);
    const catalogue = policy.fieldCatalogue(file, file.fields);
    expect(catalogue.map((f) => f.name)).toEqual(file.fields.map((f) => f.name));
    expect(catalogue.filter((f) => f.obtainable).map((f) => f.name)).toEqual(['age', 'patient_name']);
  });

  it('a grant of all fields opens the sensitive ones too; explain names the grant', async () => {
    const grantee = await world.department('rules-all-grantee', { id: stranger.districtId, code: 'rules-b' });
    const file = await world.file(owner, 'INTERNAL');
    const grantId = await world.grant(
      { fileId: file.id, grantee, action: 'READ', fields: null, purpose: 'audit of spending' },
      file.districtId,
    );
    const policy = await policyOf(grantee, ['MEMBER']);
    expect(policy.fieldCatalogue(file, file.fields)).toEqual(file.fields.map((f) => ({ ...f, obtainable: false })));
    expect(policy.obtainableFields(file, file.fields)).toEqual([]);
    const explained = policy.explain(file);
    expect(explained.find((e) => e.action === 'READ')?.grants.map((g) => g.id)).toEqual([grantId]);
    expect(explained.find((e) => e.action === 'READ')?.reasons.join()).toContain('audit of spending');
    expect(explained.find((e) => e.action === 'EXCHANGE')?.reasons).toEqual([]);
  });
});

/**
 * Separation of duties (ARCHITECTURE.md): administrators and auditors never
 * EXCHANGE (they neither request, nor receive, nor hold EXCHANGE through their
 * department's grants); a token that also carries MEMBER or STEWARD acts for
 * its department as a member. Nobody grants to its own department, by file or
 * by scope; another department may be granted by an administrator.
 */
const DUTIES_TABLE: [
  Role[],
  { request: boolean; exchangeByGrant: boolean; grantToOwn: boolean; grantToOther: boolean; scopeToOwn: boolean; scopeToOther: boolean },
][] = [
  [['MEMBER'], { request: T, exchangeByGrant: T, grantToOwn: F, grantToOther: F, scopeToOwn: F, scopeToOther: F }],
  [['STEWARD'], { request: T, exchangeByGrant: T, grantToOwn: F, grantToOther: F, scopeToOwn: F, scopeToOther: F }],
  [['DISTRICT_ADMIN'], { request: F, exchangeByGrant: F, grantToOwn: F, grantToOther: T, scopeToOwn: F, scopeToOther: T }],
  [['PLATFORM_ADMIN'], { request: F, exchangeByGrant: F, grantToOwn: F, grantToOther: T, scopeToOwn: F, scopeToOther: T }],
  [['AUDITOR'], { request: F, exchangeByGrant: F, grantToOwn: F, grantToOther: F, scopeToOwn: F, scopeToOther: F }],
  [['AUDITOR', 'DISTRICT_ADMIN'], { request: F, exchangeByGrant: F, grantToOwn: F, grantToOther: T, scopeToOwn: F, scopeToOther: T }],
  [['MEMBER', 'PLATFORM_ADMIN'], { request: T, exchangeByGrant: T, grantToOwn: F, grantToOther: T, scopeToOwn: F, scopeToOther: T }],
  [['STEWARD', 'DISTRICT_ADMIN'], { request: T, exchangeByGrant: T, grantToOwn: F, grantToOther: T, scopeToOwn: F, scopeToOther: T }],
];

describe('separation of duties', () => {
  let user: DepartmentRef;
  let granted: WorldFile;

  beforeAll(async () => {
    // A department of the owner's district that holds EXCHANGE (all fields) on one confidential file.
    user = await world.department('rules-a-user', { id: owner.districtId, code: 'rules-a' });
    granted = await world.file(owner, 'CONFIDENTIAL');
    await world.grant({ fileId: granted.id, grantee: user, action: 'EXCHANGE', fields: null }, granted.districtId);
  });

  it.each(DUTIES_TABLE)('%j: %j', async (roles, expected) => {
    const policy = await policyOf(user, roles);
    const file = { ownerDepartmentId: owner.id, districtId: owner.districtId };
    expect({
      request: policy.mayActAsDataUser('request'),
      exchangeByGrant: policy.can('EXCHANGE', granted),
      grantToOwn: policy.may('grant', { ...file, granteeDepartmentId: user.id }),
      grantToOther: policy.may('grant', { ...file, granteeDepartmentId: stranger.id }),
      scopeToOwn: policy.mayGrantScope(owner.districtId, user.id),
      scopeToOther: policy.mayGrantScope(owner.districtId, stranger.id),
    }).toEqual(expected);
    // Receiving follows requesting; the SQL form and the field catalogue agree with CASL.
    expect(policy.mayActAsDataUser('receive')).toBe(expected.request);
    expect((await allowedBySql(policy, 'EXCHANGE')).has(granted.id)).toBe(expected.exchangeByGrant);
    expect(policy.can('READ', granted)).toBe(true);
    expect((await allowedBySql(policy, 'READ')).has(granted.id)).toBe(true);
    expect(policy.obtainableFields(granted, granted.fields)).toEqual(expected.exchangeByGrant ? granted.fields : []);
    expect(policy.explain(granted).find((e) => e.action === 'EXCHANGE')!.reasons.length > 0).toBe(expected.exchangeByGrant);
  });

  it('an administrator of the owning department grants to others, not to its own department', async () => {
    const policy = await policyOf(owner, ['DISTRICT_ADMIN', 'PLATFORM_ADMIN', 'STEWARD']);
    const file = { ownerDepartmentId: owner.id, districtId: owner.districtId };
    expect(policy.may('grant', file)).toBe(true);
    expect(policy.may('grant', { ...file, granteeDepartmentId: stranger.id })).toBe(true);
    expect(policy.may('grant', { ...file, granteeDepartmentId: owner.id })).toBe(false);
    // Revoking (no grantee) stays with the administrators.
    expect((await policyOf(user, ['PLATFORM_ADMIN'])).may('grant', file)).toBe(true);
  });

  it.each([
    ['the requesting person', 'li.wei@rules-b-stranger', true],
    ['anyone of the requesting department', 'someone.else@rules-a-user', true],
    ['a steward of the owner', 'dr.chen@rules-a-owner', false],
    ['a seed without a department', 'pilot-seed', false],
  ])('a grant made by %s (%s) counts as granted by the recipient: %s', (_who, grantedBy, expected) => {
    expect(grantorIsRecipient({ grantedBy }, actorOf(user, ['MEMBER'], 'li.wei'))).toBe(expected);
  });
});
