import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { DepartmentRef, Role } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let world: World;
let owner: DepartmentRef;
let neighbour: DepartmentRef;
let stranger: DepartmentRef;
let internalFile: WorldFile;
let publicFile: WorldFile;
let secretFile: WorldFile;

const GRANT = `mutation ($input: GrantPermissionInput!) {
  grantPermission(input: $input) { id actions fields purpose expiresAt active grantedBy grantee { code } file { id } }
}`;
const REVOKE = `mutation ($id: ID!, $reason: String!) { revokePermission(id: $id, reason: $reason) { id active revokedBy revokeReason } }`;
const FILE_FIELDS = `query ($id: ID!) { file(id: $id) { id myAccess fields { name sensitive obtainable } } }`;

const token = (d: DepartmentRef, roles: Role[] = ['MEMBER']) => api.tokenFor(d, roles);
const counts = async () => {
  const [row] = await db.query(
    `SELECT (SELECT count(*) FROM permission)::int AS permissions, (SELECT count(*) FROM audit_entry)::int AS entries`,
  );
  return row as { permissions: number; entries: number };
};

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  world = new World(db);
  const a = await world.district('perm-a');
  const b = await world.district('perm-b');
  owner = await world.department('perm-a-health', a);
  neighbour = await world.department('perm-a-civil', a);
  stranger = await world.department('perm-b-civil', b);
  internalFile = await world.file(owner, 'INTERNAL');
  publicFile = await world.file(owner, 'PUBLIC');
  secretFile = await world.file(owner, 'CONFIDENTIAL');
  api = await startTestApp(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const grantInput = (file: WorldFile, grantee: DepartmentRef, extra: Record<string, unknown> = {}) => ({
  fileId: file.id,
  granteeDepartmentCode: grantee.code,
  actions: ['READ'],
  purpose: 'eligibility verification',
  ...extra,
});

describe('who may grant', () => {
  it.each<[string, () => DepartmentRef, Role[], () => WorldFile, string | null]>([
    ['a steward of the owning department', () => owner, ['STEWARD'], () => internalFile, null],
    ['a member of the owning department', () => owner, ['MEMBER'], () => internalFile, 'FORBIDDEN'],
    ['a steward of another department of the district', () => neighbour, ['STEWARD'], () => internalFile, 'FORBIDDEN'],
    ['a district administrator of the district', () => neighbour, ['DISTRICT_ADMIN'], () => secretFile, null],
    ['a district administrator of another district', () => stranger, ['DISTRICT_ADMIN'], () => publicFile, 'FORBIDDEN'],
    ['a platform administrator', () => stranger, ['PLATFORM_ADMIN'], () => secretFile, null],
    ['an auditor', () => stranger, ['AUDITOR'], () => secretFile, 'FORBIDDEN'],
    ['a steward that may not even discover the file', () => stranger, ['STEWARD'], () => secretFile, 'NOT_FOUND'],
  ])('%s: %s', async (_who, department, roles, file, expected) => {
    const grantee = await world.department(`perm-g-${Math.random().toString(36).slice(2, 9)}`, { id: stranger.districtId, code: 'perm-b' });
    const before = await counts();
    const res = await api.gql(await token(department(), roles), GRANT, { input: grantInput(file(), grantee) });
    if (expected === null) {
      expect(res.errors).toBeUndefined();
      expect(res.data?.grantPermission).toMatchObject({ actions: ['DISCOVER', 'READ'], active: true, grantee: { code: grantee.code } });
      expect(await counts()).toEqual({ permissions: before.permissions + 1, entries: before.entries + 1 });
    } else {
      expect(res.errors?.[0].extensions?.code).toBe(expected);
      expect(await counts()).toEqual(before);
    }
  });
});

describe('a grant takes effect everywhere, and its audit entry with it', () => {
  it('opens a confidential file to the grantee with exactly the named fields, and records who and why', async () => {
    const strangerToken = await token(stranger);
    expect((await api.gql(strangerToken, FILE_FIELDS, { id: secretFile.id })).data).toEqual({ file: null });
    const res = await api.gql(await token(owner, ['STEWARD']), GRANT, {
      input: grantInput(secretFile, stranger, { actions: ['EXCHANGE'], fields: ['patient_name', 'age'] }),
    });
    expect(res.data?.grantPermission).toMatchObject({ actions: ['DISCOVER', 'READ', 'EXCHANGE'], fields: ['age', 'patient_name'] });
    const seen: any = await api.gql(strangerToken, FILE_FIELDS, { id: secretFile.id });
    expect(seen.data.file.myAccess).toEqual(['DISCOVER', 'READ', 'EXCHANGE']);
    // The whole catalogue is shown; only the named fields are obtainable.
    expect(seen.data.file.fields.map((f: any) => f.name)).toEqual(secretFile.fields.map((f) => f.name));
    expect(
      seen.data.file.fields
        .filter((f: any) => f.obtainable)
        .map((f: any) => f.name)
        .sort(),
    ).toEqual(['age', 'patient_name']);
    const list: any = await api.gql(
      strangerToken,
      `{ files(first: 10, filter: { districtCodes: ["perm-a"] }) { totalCount edges { node { id } } } }`,
    );
    expect(list.data.files.edges.map((e: any) => e.node.id)).toContain(secretFile.id);
    const log: any = await api.gql(strangerToken, `{ auditLog(ledger: "perm-a") { edges { node { action subjectId parties payload } } } }`);
    const entry = log.data.auditLog.edges.map((e: any) => e.node).find((n: any) => n.subjectId === res.data?.grantPermission.id);
    expect(entry).toMatchObject({
      action: 'permission.granted',
      parties: ['perm-a-health', 'perm-b-civil'],
      payload: { purpose: 'eligibility verification' },
    });
    // A department sees only the entries that concern it.
    expect(log.data.auditLog.edges.every((e: any) => e.node.parties.includes('perm-b-civil'))).toBe(true);
  });
});

describe('bad grants lose nothing', () => {
  it.each([
    ['to its own department', () => grantInput(internalFile, owner), /owning department/],
    ['with unknown fields', () => grantInput(internalFile, stranger, { fields: ['age', 'shoe_size'] }), /shoe_size/],
    ['expiring in the past', () => grantInput(internalFile, stranger, { expiresAt: '2020-01-01T00:00:00Z' }), /future/],
    ['with an empty purpose', () => grantInput(internalFile, stranger, { purpose: '   ' }), /purpose/],
    ['to an unknown department', () => ({ ...grantInput(internalFile, stranger), granteeDepartmentCode: 'nobody-here' }), /nobody-here/],
    ['with no action', () => grantInput(internalFile, stranger, { actions: [] }), /actions/],
  ])('%s: BAD_USER_INPUT, no row, no audit entry', async (_name, input, message) => {
    const before = await counts();
    const res = await api.gql(await token(owner, ['STEWARD']), GRANT, { input: input() });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(message);
    expect(await counts()).toEqual(before);
  });
});

describe('granting the same thing twice', () => {
  it('is a CONFLICT without a later expiry, and extends the same grant with one', async () => {
    const steward = await token(owner, ['STEWARD']);
    const grantee = await world.department('perm-twice', { id: stranger.districtId, code: 'perm-b' });
    const first: any = await api.gql(steward, GRANT, { input: grantInput(internalFile, grantee, { expiresAt: '2099-01-01T00:00:00Z' }) });
    const again = await api.gql(steward, GRANT, { input: grantInput(internalFile, grantee, { expiresAt: '2098-01-01T00:00:00Z' }) });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(again.errors?.[0].message).toContain(first.data.grantPermission.id);
    const longer: any = await api.gql(steward, GRANT, { input: grantInput(internalFile, grantee, { expiresAt: '2100-01-01T00:00:00Z' }) });
    expect(longer.data.grantPermission.id).toBe(first.data.grantPermission.id);
    expect(longer.data.grantPermission.expiresAt).toBe('2100-01-01T00:00:00.000Z');
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM permission WHERE grantee_department_id = $1`, [grantee.id]);
    expect(n).toBe(1);
  });

  it('two identical grants at once make one row', async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has a single session, so the grants would run one after the other, not at once');
      return;
    }
    const steward = await token(owner, ['STEWARD']);
    const grantee = await world.department('perm-race', { id: stranger.districtId, code: 'perm-b' });
    const before = await counts();
    const results = await Promise.all([1, 2, 3].map(() => api.gql(steward, GRANT, { input: grantInput(internalFile, grantee) })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toHaveLength(2);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM permission WHERE grantee_department_id = $1`, [grantee.id]);
    expect(n).toBe(1);
    // One row, one audit entry: the refused grants wrote nothing.
    expect(await counts()).toEqual({ permissions: before.permissions + 1, entries: before.entries + 1 });
  });
});

describe('revoking', () => {
  it('ends the grant at once; twice is a CONFLICT with no audit entry; the grantee may not revoke', async () => {
    const steward = await token(owner, ['STEWARD']);
    const grantee = await world.department('perm-revoked', { id: stranger.districtId, code: 'perm-b' });
    const granted: any = await api.gql(steward, GRANT, { input: grantInput(secretFile, grantee) });
    const id = granted.data.grantPermission.id;
    const byGrantee = await api.gql(await token(grantee, ['STEWARD']), REVOKE, { id, reason: 'mine now' });
    expect(byGrantee.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const byOutsider = await api.gql(await token(neighbour, ['STEWARD']), REVOKE, { id, reason: 'no' });
    expect(byOutsider.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const revoked: any = await api.gql(steward, REVOKE, { id, reason: 'purpose fulfilled' });
    expect(revoked.data.revokePermission).toMatchObject({ active: false, revokeReason: 'purpose fulfilled' });
    expect((await api.gql(await token(grantee), FILE_FIELDS, { id: secretFile.id })).data).toEqual({ file: null });
    const before = await counts();
    const twice = await api.gql(steward, REVOKE, { id, reason: 'again' });
    expect(twice.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await counts()).toEqual(before);
  });
});

describe('who can access what, and why', () => {
  const LIST = `query ($fileId: ID, $grantee: String, $inactive: Boolean, $asOf: DateTime) {
    permissions(fileId: $fileId, granteeDepartmentCode: $grantee, includeInactive: $inactive, asOf: $asOf) {
      totalCount edges { node { id active grantee { code } file { id } } }
    }
  }`;
  const listed = (res: any): string[] => res.data.permissions.edges.map((e: any) => e.node.id);
  const EXPLAIN = `query ($fileId: ID!, $dept: String!) { explainAccess(fileId: $fileId, departmentCode: $dept) { allowed reasons permissions { id purpose } } }`;

  it('the owner sees who holds grants on its file; the grantee sees its own; an unrelated department sees none', async () => {
    const steward = await token(owner, ['STEWARD']);
    const grantee = await world.department('perm-listed', { id: stranger.districtId, code: 'perm-b' });
    const granted: any = await api.gql(steward, GRANT, { input: grantInput(secretFile, grantee) });
    const ownerView: any = await api.gql(await token(owner), LIST, { fileId: secretFile.id });
    expect(listed(ownerView)).toContain(granted.data.grantPermission.id);
    const granteeView: any = await api.gql(await token(grantee), LIST, {});
    expect(listed(granteeView)).toEqual([granted.data.grantPermission.id]);
    expect(granteeView.data.permissions.totalCount).toBe(1);
    const unrelated = await world.department('perm-unrelated', { id: stranger.districtId, code: 'perm-b' });
    expect((await api.gql(await token(unrelated), LIST, { grantee: grantee.code })).data).toEqual({
      permissions: { totalCount: 0, edges: [] },
    });
  });

  it('asOf answers from the grant history', async () => {
    const steward = await token(owner, ['STEWARD']);
    const grantee = await world.department('perm-history', { id: stranger.districtId, code: 'perm-b' });
    const granted: any = await api.gql(steward, GRANT, { input: grantInput(internalFile, grantee) });
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await api.gql(steward, REVOKE, { id: granted.data.grantPermission.id, reason: 'done' });
    const ids = async (vars: Record<string, unknown>) =>
      listed(await api.gql(steward, LIST, { fileId: internalFile.id, grantee: grantee.code, ...vars }));
    expect(await ids({})).toEqual([]);
    expect(await ids({ asOf: between })).toEqual([granted.data.grantPermission.id]);
    expect(await ids({ asOf: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(await ids({ inactive: true })).toEqual([granted.data.grantPermission.id]);
  });

  it('explains an allowed action by its grant and a denied one by the absence of any', async () => {
    const steward = await token(owner, ['STEWARD']);
    const grantee = await world.department('perm-explained', { id: stranger.districtId, code: 'perm-b' });
    await api.gql(steward, GRANT, { input: grantInput(secretFile, grantee, { purpose: 'fraud prevention' }) });
    const res: any = await api.gql(steward, EXPLAIN, { fileId: secretFile.id, dept: grantee.code });
    expect(res.data.explainAccess.allowed).toEqual(['DISCOVER', 'READ']);
    expect(res.data.explainAccess.reasons.join('\n')).toMatch(/READ: grant .*fraud prevention/);
    expect(res.data.explainAccess.reasons.join('\n')).toMatch(/EXCHANGE: denied, no default rule or active grant gives it/);
    expect(res.data.explainAccess.permissions.map((p: any) => p.purpose)).toEqual(['fraud prevention']);
    const pub: any = await api.gql(steward, EXPLAIN, { fileId: publicFile.id, dept: stranger.code });
    expect(pub.data.explainAccess.reasons[1]).toMatch(/READ: default: every department reads PUBLIC files/);
  });

  it('a hidden file cannot be learned of through permissions, explainAccess or errors', async () => {
    const outsider = await token(await world.department('perm-outsider', { id: stranger.districtId, code: 'perm-b' }));
    const missing = '00000000-0000-4000-8000-000000000001';
    for (const [query, vars] of [
      [LIST, { fileId: secretFile.id }],
      [EXPLAIN, { fileId: secretFile.id, dept: 'perm-outsider' }],
      [GRANT, { input: grantInput(secretFile, neighbour) }],
    ] as const) {
      const hidden = await api.gql(outsider, query, vars);
      const absent = await api.gql(outsider, query, JSON.parse(JSON.stringify(vars).replaceAll(secretFile.id, missing)));
      expect(hidden.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(JSON.stringify(hidden).replaceAll(secretFile.id, missing)).toBe(JSON.stringify(absent));
    }
  });

  it('a department may not ask why another unrelated department has access', async () => {
    const res = await api.gql(await token(neighbour), EXPLAIN, { fileId: publicFile.id, dept: stranger.code });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
