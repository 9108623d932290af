/**
 * Separation of duties, through the API: administrators and auditors never
 * request or receive exchanges, an administrator never grants to its own
 * department, and a grant the requester's side made itself never approves its
 * request. Each refusal is FORBIDDEN with a message that says why, and writes
 * no row and no audit entry. Also the field catalogue rule: READ shows every
 * field, sensitive ones included, and says which values are obtainable.
 */
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
let admins: DepartmentRef;
let user: DepartmentRef;
let publicFile: WorldFile;
let secretFile: WorldFile;

const GRANT = `mutation ($input: GrantPermissionInput!) { grantPermission(input: $input) { id grantee { code } } }`;
const GRANT_SCOPE = `mutation ($input: GrantScopePermissionInput!) { grantScopePermission(input: $input) { id grantee { code } } }`;
const REQUEST = `mutation ($input: RequestExchangeInput!) { requestExchange(input: $input) { id status decidedBy } }`;
const APPROVE = `mutation ($id: ID!) { approveExchange(id: $id) { id status } }`;
const DELIVER = `mutation ($id: ID!) { deliverExchange(id: $id) { records } }`;
const PUBLISH = `mutation ($id: ID!, $records: [JSON!]!) { publishRecords(fileId: $id, records: $records) { version } }`;
const FILE = `query ($id: ID!) { file(id: $id) { myAccess fields { name sensitive obtainable } } }`;

const counts = async () => {
  const [row] = await db.query(
    `SELECT (SELECT count(*) FROM permission)::int AS permissions, (SELECT count(*) FROM exchange)::int AS exchanges, (SELECT count(*) FROM audit_entry)::int AS entries`,
  );
  return row as { permissions: number; exchanges: number; entries: number };
};

const token = (d: DepartmentRef, roles: Role[], subject = 'tester') => api.tokenFor(d, roles, subject);

/** Sends a mutation that must be refused: FORBIDDEN, the message, and nothing written. */
async function refused(t: string, query: string, variables: Record<string, unknown>, message: RegExp): Promise<void> {
  const before = await counts();
  const res = await api.gql(t, query, variables);
  expect(res.data).toBeNull();
  expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(res.errors?.[0].message).toMatch(message);
  expect(await counts()).toEqual(before);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  world = new World(db);
  const east = await world.district('sod-east');
  const west = await world.district('sod-west');
  owner = await world.department('sod-east-health', east);
  admins = await world.department('sod-east-admin-office', east);
  user = await world.department('sod-west-civil', west);
  publicFile = await world.file(owner, 'PUBLIC');
  secretFile = await world.file(owner, 'CONFIDENTIAL');
  api = await startTestApp(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const request = (file: WorldFile, fields = ['age']) => ({ input: { fileId: file.id, fields, purpose: 'separation of duties' } });

describe('administrators and auditors do not request or receive exchanges', () => {
  it.each<[Role[]]>([[['PLATFORM_ADMIN']], [['DISTRICT_ADMIN']], [['AUDITOR']], [['PLATFORM_ADMIN', 'AUDITOR']]])(
    '%j may not requestExchange, even on a file it reads',
    async (roles) => {
      const t = await token(admins, roles);
      expect(((await api.gql(t, FILE, { id: publicFile.id })).data as any).file.myAccess).toEqual(['DISCOVER', 'READ']);
      await refused(t, REQUEST, request(publicFile), /separation of duties: administrators and auditors do not request exchanges/);
    },
  );

  it('a token that carries MEMBER or STEWARD as well requests for its department', async () => {
    for (const roles of [
      ['PLATFORM_ADMIN', 'MEMBER'],
      ['DISTRICT_ADMIN', 'STEWARD'],
    ] as Role[][]) {
      const res: any = await api.gql(await token(admins, roles), REQUEST, request(publicFile));
      expect(res.errors).toBeUndefined();
      expect(res.data.requestExchange.status).toBe('REQUESTED');
    }
  });

  it('an administrator of the requesting department does not receive its delivery; a member does', async () => {
    const steward = await token(owner, ['STEWARD'], 'dr.chen');
    await api.gql(steward, PUBLISH, { id: publicFile.id, records: [{ record_id: 'r1', age: '40' }] });
    const requested: any = await api.gql(await token(user, ['MEMBER'], 'li.wei'), REQUEST, request(publicFile));
    const id = requested.data.requestExchange.id;
    expect(((await api.gql(steward, APPROVE, { id })).data as any).approveExchange.status).toBe('APPROVED');
    for (const roles of [['PLATFORM_ADMIN'], ['DISTRICT_ADMIN'], ['AUDITOR']] as Role[][]) {
      await refused(await token(user, roles), DELIVER, { id }, /administrators and auditors do not receive records/);
    }
    const delivered: any = await api.gql(await token(user, ['MEMBER'], 'li.wei'), DELIVER, { id });
    expect(delivered.data.deliverExchange.records).toEqual([{ age: '40' }]);
  });

  it("an administrator's department may hold EXCHANGE, but the administrator is shown READ and no obtainable field", async () => {
    await world.grant(
      { fileId: secretFile.id, grantee: admins, action: 'EXCHANGE', fields: null, grantedBy: 'dr.chen@sod-east-health' },
      secretFile.districtId,
    );
    const asAdmin: any = await api.gql(await token(admins, ['PLATFORM_ADMIN']), FILE, { id: secretFile.id });
    expect(asAdmin.data.file.myAccess).toEqual(['DISCOVER', 'READ']);
    expect(asAdmin.data.file.fields.filter((f: any) => f.obtainable)).toEqual([]);
    const asMember: any = await api.gql(await token(admins, ['MEMBER']), FILE, { id: secretFile.id });
    expect(asMember.data.file.myAccess).toEqual(['DISCOVER', 'READ', 'EXCHANGE']);
    expect(asMember.data.file.fields.every((f: any) => f.obtainable)).toBe(true);
  });
});

describe("an administrator's power to grant does not extend to its own department", () => {
  const grantTo = (grantee: DepartmentRef) => ({
    input: { fileId: secretFile.id, granteeDepartmentCode: grantee.code, actions: ['EXCHANGE'], purpose: 'self-service' },
  });
  const scopeTo = (grantee: DepartmentRef) => ({
    input: {
      districtCode: 'sod-east',
      category: 'vehicles',
      maxClassification: 'CONFIDENTIAL',
      granteeDepartmentCode: grantee.code,
      actions: ['EXCHANGE'],
      purpose: 'self-service',
    },
  });

  it.each<[Role[]]>([[['PLATFORM_ADMIN']], [['DISTRICT_ADMIN']], [['PLATFORM_ADMIN', 'STEWARD']], [['DISTRICT_ADMIN', 'MEMBER']]])(
    '%j may not grant on a file, nor by scope, to its own department',
    async (roles) => {
      const t = await token(admins, roles);
      await refused(
        t,
        GRANT,
        grantTo(admins),
        /separation of duties: an administrator's power to grant does not extend to its own department/,
      );
      await refused(t, GRANT_SCOPE, scopeTo(admins), /separation of duties/);
    },
  );

  it('the same administrators grant to another department; a steward of the owner grants to the administrators', async () => {
    const before = await counts();
    const byAdmin: any = await api.gql(await token(admins, ['PLATFORM_ADMIN']), GRANT, grantTo(user));
    expect(byAdmin.data.grantPermission.grantee.code).toBe(user.code);
    const scope: any = await api.gql(await token(admins, ['DISTRICT_ADMIN']), GRANT_SCOPE, scopeTo(user));
    expect(scope.data.grantScopePermission.grantee.code).toBe(user.code);
    const bySteward: any = await api.gql(await token(owner, ['STEWARD']), GRANT, {
      input: { ...grantTo(admins).input, purpose: 'audit of spending' },
    });
    expect(bySteward.data.grantPermission.grantee.code).toBe(admins.code);
    expect(await counts()).toEqual({ ...before, permissions: before.permissions + 3, entries: before.entries + 3 });
  });
});

describe('whoever granted is never who receives: a grant of the requesting side does not approve its request', () => {
  it.each([
    ['a grant made by the requester itself, from another department', 'self.dealer@sod-east-admin-office', 'self.dealer'],
    ['a grant made by someone of the requesting department', 'old.admin@sod-west-civil', 'li.wei'],
  ])('%s: the request waits for a steward', async (_name, grantedBy, requester) => {
    const file = await world.file(owner, 'CONFIDENTIAL');
    await world.grant({ fileId: file.id, grantee: user, action: 'EXCHANGE', fields: null, grantedBy }, file.districtId);
    const before = await counts();
    const res: any = await api.gql(await token(user, ['MEMBER'], requester), REQUEST, request(file));
    expect(res.data.requestExchange).toMatchObject({ status: 'REQUESTED', decidedBy: null });
    // The request row and its one entry; no approval entry.
    expect(await counts()).toEqual({ ...before, exchanges: before.exchanges + 1, entries: before.entries + 1 });
    const [{ actions }] = await db.query(`SELECT array_agg(action ORDER BY seq) AS actions FROM audit_entry WHERE subject_id = $1`, [
      res.data.requestExchange.id,
    ]);
    expect(actions).toEqual(['exchange.requested']);
  });

  it("a grant made by the owner's steward approves at once, citing the grant", async () => {
    const file = await world.file(owner, 'CONFIDENTIAL');
    const grantId = await world.grant(
      { fileId: file.id, grantee: user, action: 'EXCHANGE', fields: null, grantedBy: 'dr.chen@sod-east-health' },
      file.districtId,
    );
    const res: any = await api.gql(await token(user, ['MEMBER'], 'li.wei'), REQUEST, request(file));
    expect(res.data.requestExchange).toMatchObject({ status: 'APPROVED', decidedBy: `grant:${grantId}` });
  });
});

describe('the field catalogue: names are metadata, values are protected', () => {
  it('a reader sees every field, sensitive names included, and which values it could obtain', async () => {
    const file = await world.file(owner, 'RESTRICTED');
    await world.grant(
      { fileId: file.id, grantee: user, action: 'EXCHANGE', fields: ['age', 'patient_name'], grantedBy: 'dr.chen@sod-east-health' },
      file.districtId,
    );
    const res: any = await api.gql(await token(user, ['MEMBER']), FILE, { id: file.id });
    expect(res.data.file.fields).toEqual(
      file.fields.map((f) => ({ name: f.name, sensitive: f.sensitive, obtainable: ['age', 'patient_name'].includes(f.name) })),
    );
    // Without any grant, a PUBLIC file's catalogue is read whole and nothing is obtainable.
    const fresh = await world.department('sod-west-fresh', { id: user.districtId, code: 'sod-west' });
    const onPublic: any = await api.gql(await token(fresh, ['MEMBER']), FILE, { id: publicFile.id });
    expect(onPublic.data.file.fields.map((f: any) => [f.name, f.obtainable])).toEqual(publicFile.fields.map((f) => [f.name, false]));
  });

  it('a sensitive field no grant covers may still be requested: the owner decides', async () => {
    const res: any = await api.gql(await token(user, ['MEMBER']), REQUEST, request(publicFile, ['id_number']));
    expect(res.errors).toBeUndefined();
    expect(res.data.requestExchange.status).toBe('REQUESTED');
  });

  it('a department that may only discover a file sees no catalogue and may not request fields from it', async () => {
    const file = await world.file(owner, 'CONFIDENTIAL');
    await world.grant({ fileId: file.id, grantee: user, action: 'DISCOVER', grantedBy: 'dr.chen@sod-east-health' }, file.districtId);
    const t = await token(user, ['MEMBER']);
    expect(((await api.gql(t, FILE, { id: file.id })).data as any).file).toEqual({ myAccess: ['DISCOVER'], fields: [] });
    // The same refusal for a field that exists and one that does not: nothing is learned by trial.
    await refused(t, REQUEST, request(file, ['patient_name']), /needs READ to request fields/);
    await refused(t, REQUEST, request(file, ['shoe_size']), /needs READ to request fields/);
  });
});
