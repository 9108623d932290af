/**
 * The story across two districts: a health bureau publishes medical records;
 * a civil affairs department elsewhere finds the file, requests three fields,
 * is approved, receives exactly those fields, and its receipt verifies offline
 * with the CLI; an auditor sees every step and the chain verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash, createPublicKey } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

const run = promisify(execFile);

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let world: World;
let health: DepartmentRef;
let civil: DepartmentRef;
let fileId: string;
let healthSteward: string;
let civilMember: string;

const REGISTER = `mutation ($input: RegisterFileInput!) { registerFile(input: $input) { id version fields { name } } }`;
const PUBLISH = `mutation ($id: ID!, $records: [JSON!]!) { publishRecords(fileId: $id, records: $records) { id version } }`;
const REQUEST = `mutation ($input: RequestExchangeInput!) { requestExchange(input: $input) { id status fields decidedBy } }`;
const APPROVE = `mutation ($id: ID!) { approveExchange(id: $id, note: "ok for eligibility checks") { id status decidedBy permissionId } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectExchange(id: $id, reason: $reason) { id status decisionNote } }`;
const DELIVER = `mutation ($id: ID!) { deliverExchange(id: $id) {
  records contentHash
  exchange { id status contentHash deliveredVersion receipt { ledger seq entryHash proof entry { ledger seq occurredAt actor action subjectType subjectId parties payload prevHash hash } checkpoint { ledger size rootHash signedAt keyId signature } } }
} }`;

const counts = async () => {
  const [row] = await db.query(
    `SELECT (SELECT count(*) FROM exchange)::int AS exchanges, (SELECT count(*) FROM audit_entry)::int AS entries, (SELECT count(*) FROM data_version)::int AS versions`,
  );
  return row as Record<string, number>;
};

const RECORDS = [
  { patient_name: 'Wang Fang', id_number: '110101199003074512', age: 36, diagnosis_code: 'E11', visit_date: '2026-03-02', insured: true },
  { patient_name: 'Li Na', id_number: '110105198511236021', age: 41, diagnosis_code: 'I10', visit_date: '2026-04-18', insured: false },
  { patient_name: 'Zhang Wei', id_number: '110108197707150318', age: 49, diagnosis_code: 'J45', visit_date: '2026-05-09', insured: true },
];

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  world = new World(db);
  health = await world.department('xch-health-bureau', await world.district('xch-east'));
  civil = await world.department('xch-civil-affairs', await world.district('xch-west'));
  api = await startTestApp(database);
  healthSteward = await api.tokenFor(health, ['STEWARD'], 'dr.chen');
  civilMember = await api.tokenFor(civil, ['MEMBER'], 'li.wei');
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('the exchange story', () => {
  let exchangeId: string;

  it('a health bureau registers medical records with sensitive fields and publishes rows', async () => {
    const registered: any = await api.gql(healthSteward, REGISTER, {
      input: {
        code: 'outpatient-2026',
        title: 'Outpatient diagnoses 2026',
        classification: 'RESTRICTED',
        category: 'medical records',
        tags: ['health', 'patients'],
        format: 'table',
        fields: [
          { name: 'patient_name', type: 'string', sensitive: true },
          { name: 'id_number', type: 'string', sensitive: true },
          { name: 'age', type: 'integer' },
          { name: 'diagnosis_code', type: 'string', sensitive: true },
          { name: 'visit_date', type: 'date' },
          { name: 'insured', type: 'boolean' },
        ],
      },
    });
    expect(registered.errors).toBeUndefined();
    fileId = registered.data.registerFile.id;
    const published: any = await api.gql(healthSteward, PUBLISH, { id: fileId, records: RECORDS });
    expect(published.data.publishRecords).toEqual({ id: fileId, version: 1 });
  });

  it('a department of another district cannot find the restricted file until it is let read its catalogue', async () => {
    const search: any = await api.gql(civilMember, `{ files(filter: { search: "outpatient diagnoses" }) { totalCount } }`);
    expect(search.data.files.totalCount).toBe(0);
    const request = await api.gql(civilMember, REQUEST, { input: { fileId, fields: ['age'], purpose: 'x' } });
    expect(request.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    await api.gql(healthSteward, `mutation ($input: GrantPermissionInput!) { grantPermission(input: $input) { id } }`, {
      input: { fileId, granteeDepartmentCode: civil.code, actions: ['READ'], purpose: 'subsidy eligibility programme' },
    });
    const found: any = await api.gql(
      civilMember,
      `{ files(filter: { search: "outpatient diagnoses" }) { totalCount edges { node { id myAccess } } } }`,
    );
    expect(found.data.files.edges).toEqual([{ node: { id: fileId, myAccess: ['DISCOVER', 'READ'] } }]);
  });

  it('the civil affairs department requests three fields; the steward approves', async () => {
    const requested: any = await api.gql(civilMember, REQUEST, {
      input: { fileId, fields: ['age', 'diagnosis_code', 'visit_date'], purpose: 'subsidy eligibility' },
    });
    expect(requested.data.requestExchange).toMatchObject({
      status: 'REQUESTED',
      fields: ['age', 'diagnosis_code', 'visit_date'],
      decidedBy: null,
    });
    exchangeId = requested.data.requestExchange.id;
    const incoming: any = await api.gql(
      healthSteward,
      `{ exchanges(status: REQUESTED) { totalCount edges { node { id requester { code } file { id } } } } }`,
    );
    expect(incoming.data.exchanges.edges).toEqual([{ node: { id: exchangeId, requester: { code: civil.code }, file: { id: fileId } } }]);
    const approved: any = await api.gql(healthSteward, APPROVE, { id: exchangeId });
    expect(approved.data.approveExchange).toMatchObject({ status: 'APPROVED', decidedBy: 'dr.chen@xch-health-bureau' });
    expect(approved.data.approveExchange.permissionId).toBeTruthy();
  });

  it('the requester receives exactly the approved fields, and the receipt verifies offline with the CLI', async () => {
    const delivered: any = await api.gql(civilMember, DELIVER, { id: exchangeId });
    expect(delivered.errors).toBeUndefined();
    const { records, contentHash, exchange } = delivered.data.deliverExchange;
    expect(records).toEqual(RECORDS.map((r) => ({ age: r.age, diagnosis_code: r.diagnosis_code, visit_date: r.visit_date })));
    expect(JSON.stringify(records)).not.toMatch(/Wang Fang|110101/);
    expect(exchange).toMatchObject({ status: 'DELIVERED', contentHash, deliveredVersion: 1 });
    expect(exchange.receipt.entry.action).toBe('exchange.delivered');
    expect(exchange.receipt.entry.payload.contentHash).toBe(contentHash);

    const dir = await mkdtemp(join(tmpdir(), 'receipt-'));
    const pem = createPublicKey(api.config.auditKeys.signingKey).export({ format: 'pem', type: 'spki' }).toString();
    await writeFile(join(dir, 'receipt.json'), JSON.stringify(exchange.receipt));
    await writeFile(join(dir, 'key.pem'), pem);
    const cli = [
      '--import',
      '@swc-node/register/esm-register',
      'apps/directory-cli/src/main.ts',
      'audit:check-receipt',
      join(dir, 'receipt.json'),
      '--public-key',
      join(dir, 'key.pem'),
    ];
    const ok = await run(process.execPath, cli, {
      env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: 'postgres://nowhere.invalid/none' },
    });
    expect(ok.stdout).toMatch(/receipt verifies/);
    const forged = {
      ...exchange.receipt,
      entry: { ...exchange.receipt.entry, payload: { ...exchange.receipt.entry.payload, rowCount: 999 } },
    };
    await writeFile(join(dir, 'forged.json'), JSON.stringify(forged));
    const bad = await run(process.execPath, [...cli.slice(0, 4), join(dir, 'forged.json'), '--public-key', join(dir, 'key.pem')], {
      env: { ...process.env, NODE_OPTIONS: '' },
    }).catch((e: { code: number; stdout: string }) => e);
    expect(bad).toMatchObject({ code: 1, stdout: expect.stringMatching(/does NOT verify/) });
  });

  it('an auditor sees every step in the ledger, and the chain verifies', async () => {
    const auditor = await api.tokenFor(civil, ['AUDITOR'], 'auditor');
    const log: any = await api.gql(auditor, `{ auditLog(ledger: "xch-east", first: 100) { edges { node { action subjectId } } } }`);
    const steps = log.data.auditLog.edges.map((e: any) => e.node.action);
    expect(steps).toEqual([
      'file.registered',
      'records.published',
      'permission.granted',
      'exchange.requested',
      'permission.granted',
      'exchange.approved',
      'exchange.delivered',
    ]);
    const verified: any = await api.gql(auditor, `{ verifyAuditChain(ledger: "xch-east") { ok checked firstBadSeq checkpointsChecked } }`);
    expect(verified.data.verifyAuditChain).toEqual({ ok: true, checked: '7', firstBadSeq: null, checkpointsChecked: 1 });
  });

  it('a second request for fields an active EXCHANGE grant covers is approved at once, citing the grant', async () => {
    const requested: any = await api.gql(civilMember, REQUEST, {
      input: { fileId, fields: ['age', 'visit_date'], purpose: 'follow-up check' },
    });
    expect(requested.data.requestExchange.status).toBe('APPROVED');
    expect(requested.data.requestExchange.decidedBy).toMatch(/^grant:/);
  });
});

describe('rules that must hold', () => {
  const request = async (fields = ['age']) =>
    ((await api.gql(civilMember, REQUEST, { input: { fileId, fields, purpose: 'rules' } })).data as any).requestExchange.id as string;

  it("only the owner's stewards decide, and only once", async () => {
    const id = await request(['insured']);
    expect((await api.gql(civilMember, APPROVE, { id })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const member = await api.tokenFor(health, ['MEMBER']);
    expect((await api.gql(member, APPROVE, { id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await api.gql(healthSteward, APPROVE, { id })).data?.approveExchange).toMatchObject({ status: 'APPROVED' });
    const before = await counts();
    const other = await api.tokenFor(health, ['STEWARD'], 'dr.zhou');
    expect((await api.gql(other, APPROVE, { id })).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await api.gql(healthSteward, REJECT, { id, reason: 'too late' })).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await counts()).toEqual(before);
  });

  it('two approvals at once make one decision and one entry', async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has a single session, so the approvals would run one after the other, not at once');
      return;
    }
    // No single active grant covers both fields, so a steward must decide.
    const id = await request(['age', 'insured']);
    const before = await counts();
    const other = await api.tokenFor(health, ['STEWARD'], 'dr.zhou');
    const results = await Promise.all([api.gql(healthSteward, APPROVE, { id }), api.gql(other, APPROVE, { id })]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toHaveLength(1);
    // One approval: its entry and the entry of the one grant it made.
    const after = await counts();
    expect(after.entries - before.entries).toBe(2);
    const [{ approvals, grants }] = await db.query(
      `SELECT (SELECT count(*)::int FROM audit_entry WHERE subject_id = $1 AND action = 'exchange.approved') AS approvals,
              (SELECT count(*)::int FROM permission WHERE grantee_department_id = $2 AND fields = ARRAY['age', 'insured']) AS grants`,
      [id, civil.id],
    );
    expect({ approvals, grants }).toEqual({ approvals: 1, grants: 1 });
  });

  it('only the requester receives; a rejected or undecided exchange is not delivered', async () => {
    const id = await request(['id_number']);
    expect((await api.gql(civilMember, DELIVER, { id })).errors?.[0].message).toMatch(/requested, not approved/);
    const rejected: any = await api.gql(healthSteward, REJECT, { id, reason: 'identity numbers are not shared' });
    expect(rejected.data.rejectExchange).toMatchObject({ status: 'REJECTED', decisionNote: 'identity numbers are not shared' });
    expect((await api.gql(civilMember, DELIVER, { id })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await api.gql(healthSteward, DELIVER, { id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('a revoked grant stops delivery of an approved exchange', async () => {
    const id = await request(['patient_name']);
    const approved: any = await api.gql(healthSteward, APPROVE, { id });
    await api.gql(healthSteward, `mutation ($id: ID!) { revokePermission(id: $id, reason: "purpose ended") { id } }`, {
      id: approved.data.approveExchange.permissionId,
    });
    const before = await counts();
    const res = await api.gql(civilMember, DELIVER, { id });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0].message).toMatch(/revoked or expired/);
    expect(await counts()).toEqual(before);
  });

  it('an expired grant stops delivery of an approved exchange', async () => {
    // A short grant approves two requests at once; one is delivered before it expires, the other after.
    const expiresAt = new Date(Date.now() + 3_000);
    const granted: any = await api.gql(
      healthSteward,
      `mutation ($input: GrantPermissionInput!) { grantPermission(input: $input) { id } }`,
      {
        input: {
          fileId,
          granteeDepartmentCode: civil.code,
          actions: ['EXCHANGE'],
          fields: ['id_number'],
          purpose: 'one identity check',
          expiresAt: expiresAt.toISOString(),
        },
      },
    );
    expect(granted.errors).toBeUndefined();
    const early = (await api.gql(civilMember, REQUEST, { input: { fileId, fields: ['id_number'], purpose: 'identity check' } }))
      .data as any;
    const late = (await api.gql(civilMember, REQUEST, { input: { fileId, fields: ['id_number'], purpose: 'identity check' } })).data as any;
    expect([early.requestExchange.status, late.requestExchange.status]).toEqual(['APPROVED', 'APPROVED']);
    const delivered = await api.gql(civilMember, DELIVER, { id: early.requestExchange.id });
    expect(delivered.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 200));
    const before = await counts();
    const res = await api.gql(civilMember, DELIVER, { id: late.requestExchange.id });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0].message).toMatch(/revoked or expired/);
    expect(await counts()).toEqual(before);
  });

  it('delivers the version current at delivery, after a second publication, and hashes exactly what it delivered', async () => {
    // Approved while version 1 is current (by the grant the first approval made), delivered after version 2.
    const requested: any = await api.gql(civilMember, REQUEST, {
      input: { fileId, fields: ['age', 'visit_date'], purpose: 'follow-up check' },
    });
    expect(requested.data.requestExchange.status).toBe('APPROVED');
    const second = RECORDS.map((r, i) => ({ ...r, age: r.age + 1, visit_date: `2026-06-0${i + 1}` })).concat({
      ...RECORDS[0],
      age: 7,
      visit_date: '2026-06-30',
    });
    const published: any = await api.gql(healthSteward, PUBLISH, { id: fileId, records: second });
    expect(published.data.publishRecords.version).toBe(2);
    const delivered: any = await api.gql(civilMember, DELIVER, { id: requested.data.requestExchange.id });
    expect(delivered.errors).toBeUndefined();
    const expected = second.map((r) => ({ age: r.age, visit_date: r.visit_date }));
    const { records, contentHash, exchange } = delivered.data.deliverExchange;
    expect(records).toEqual(expected);
    expect(contentHash).toBe(createHash('sha256').update(canonicalize(expected)!).digest('hex'));
    expect(exchange).toMatchObject({ status: 'DELIVERED', deliveredVersion: 2, contentHash });
    expect(exchange.receipt.entry.payload).toMatchObject({ version: 2, rowCount: 4, contentHash });
  });

  it('a department that may not discover the file gets NOT_FOUND, as for a missing exchange', async () => {
    const outsider = await api.tokenFor(await world.department('xch-outsider', { id: civil.districtId, code: 'xch-west' }));
    const id = await request(['age', 'visit_date']);
    const hidden = await api.gql(outsider, DELIVER, { id });
    const missing = await api.gql(outsider, DELIVER, { id: '00000000-0000-4000-8000-000000000000' });
    expect(hidden.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(hidden).replace(id, 'X')).toBe(JSON.stringify(missing).replace('00000000-0000-4000-8000-000000000000', 'X'));
    expect(((await api.gql(outsider, `{ exchanges { totalCount } }`)).data as any).exchanges.totalCount).toBe(0);
  });
});

describe('bad input writes nothing', () => {
  it.each([
    [
      'fields not in the schema',
      REQUEST,
      () => ({ input: { fileId, fields: ['age', 'blood_type'], purpose: 'p' } }),
      'BAD_USER_INPUT',
      /blood_type/,
    ],
    ['an empty purpose', REQUEST, () => ({ input: { fileId, fields: ['age'], purpose: ' ' } }), 'BAD_USER_INPUT', /purpose/],
    ['no fields', REQUEST, () => ({ input: { fileId, fields: [], purpose: 'p' } }), 'BAD_USER_INPUT', /at least one field/],
    [
      'a record of the wrong type',
      PUBLISH,
      () => ({ id: fileId, records: [RECORDS[0], { ...RECORDS[1], age: 'forty' }] }),
      'BAD_USER_INPUT',
      /row 2, field "age": expected integer/,
    ],
    [
      'a record with an unknown field',
      PUBLISH,
      () => ({ id: fileId, records: [{ ...RECORDS[0], blood_type: 'A' }] }),
      'BAD_USER_INPUT',
      /row 1: "blood_type"/,
    ],
    ['an impossible date', PUBLISH, () => ({ id: fileId, records: [{ visit_date: '2026-02-30' }] }), 'BAD_USER_INPUT', /expected date/],
    [
      'too many rows',
      PUBLISH,
      () => ({ id: fileId, records: Array.from({ length: 10_001 }, () => ({ age: 1 })) }),
      'PAYLOAD_TOO_LARGE',
      /10000 rows/,
    ],
    [
      'too many bytes',
      PUBLISH,
      () => ({ id: fileId, records: Array.from({ length: 600 }, () => ({ patient_name: 'x'.repeat(10_000) })) }),
      'PAYLOAD_TOO_LARGE',
      /bytes of records/,
    ],
    [
      'a request body over the limit',
      PUBLISH,
      () => ({ id: fileId, records: Array.from({ length: 1100 }, () => ({ patient_name: 'x'.repeat(10_000) })) }),
      'PAYLOAD_TOO_LARGE',
      /10 MiB limit/,
    ],
  ])('%s: a clear coded error', async (_name, query, variables, code, message) => {
    const token = query === PUBLISH ? healthSteward : civilMember;
    const before = await counts();
    const res = await api.gql(token, query, variables());
    expect(res.errors?.[0].extensions?.code).toBe(code);
    expect(res.errors?.[0].message).toMatch(message);
    expect(await counts()).toEqual(before);
  });
});
