/**
 * Grants tied to a version, end to end: a health bureau grants EXCHANGE on
 * two fields of a file; then changes the file's schema (adds a field, changes
 * the type of one granted field and marks it sensitive, marks another field
 * sensitive). The grant that named the changed field awaits review: delivery
 * sends the unchanged field and withholds the changed one, explainAccess says
 * why, the change feed tells the grant holders (and nobody who may not
 * discover the file), the audit log holds the change and the grants held in
 * one transaction. A steward re-approves and the field flows again; the owner
 * never slips a new field into a grant that did not name it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import type { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { lockFileSchema } from '@app/access';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let world: World;
let url: string;
let health: DepartmentRef;
let civil: DepartmentRef;
let transport: DepartmentRef;
let parks: DepartmentRef;
let finance: DepartmentRef;
let outsider: DepartmentRef;
let fileId: string;
let ownerSteward: string;
let civilMember: string;
let civilGrant: string;
let transportGrant: string;
let parksGrant: string;
let approvedExchange: string;
const clients: Client[] = [];

const REGISTER = `mutation ($input: RegisterFileInput!) { registerFile(input: $input) { id version schemaVersion } }`;
const PUBLISH = `mutation ($id: ID!, $records: [JSON!]!) { publishRecords(fileId: $id, records: $records) { version } }`;
const GRANT = `mutation ($input: GrantPermissionInput!) { grantPermission(input: $input) { id fields fileVersion schemaVersion needsReview fieldsAwaitingReview } }`;
const CHANGE = `mutation ($input: ChangeFileSchemaInput!) {
  changeFileSchema(input: $input) { schemaVersion grantsHeld changes { field change from to } file { id version schemaVersion fields { name type sensitive } } }
}`;
const REAPPROVE = `mutation ($id: ID!, $fileId: ID, $note: String) {
  reapprovePermission(id: $id, fileId: $fileId, note: $note) { id fields fileVersion schemaVersion needsReview fieldsAwaitingReview active }
}`;
const PERMISSION = `query ($file: ID, $grantee: String) { permissions(fileId: $file, granteeDepartmentCode: $grantee, first: 50) { edges { node { id grantee { code } fields schemaVersion needsReview fieldsAwaitingReview } } } }`;
const REQUEST = `mutation ($input: RequestExchangeInput!) { requestExchange(input: $input) { id status fileVersion schemaVersion } }`;
const DELIVER = `mutation ($id: ID!) { deliverExchange(id: $id) { records withheldFields exchange { status withheldFields fields } } }`;
const EXPLAIN = `query ($file: ID!, $dept: String!) { explainAccess(fileId: $file, departmentCode: $dept) { allowed reasons } }`;
const FIELDS = `query ($id: ID!) { file(id: $id) { schemaVersion fields { name type sensitive obtainable } } }`;
const FEED = `subscription ($after: String) { fileEvents(after: $after) { kind fileId schemaVersion note actor } }`;
const PULL = `query ($after: String) { events(after: $after, first: 200) { edges { node { kind fileId schemaVersion } } pageInfo { endCursor } } }`;

const ROWS = [
  { visit_date: '2026-03-02', age: '36', postcode: '100010', patient_name: 'Wang Fang' },
  { visit_date: '2026-04-18', age: '41', postcode: '100020', patient_name: 'Li Na' },
];

interface Feed {
  events: any[];
  errors: unknown[];
}

/**
 * Subscribes from the caller's position in the log now (its pull form's
 * endCursor), so that a change made before the server has taken the
 * subscription is replayed rather than missed.
 */
async function subscribe(token: string): Promise<Feed> {
  const position: any = await api.gql(token, PULL, { after: null });
  const after = position.data.events.pageInfo.endCursor as string;
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  clients.push(client);
  const feed: Feed = { events: [], errors: [] };
  client.subscribe(
    { query: FEED, variables: { after } },
    {
      next: (value) => (value.errors ? feed.errors.push(...value.errors) : feed.events.push(value.data!.fileEvents)),
      error: (error) => feed.errors.push(error),
      complete: () => undefined,
    },
  );
  return feed;
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Everything a failed change must leave as it was. */
const state = async () => {
  const [row] = await db.query(
    `SELECT (SELECT count(*) FROM audit_entry)::int AS entries, (SELECT count(*) FROM data_field)::int AS fields,
            (SELECT count(*) FROM permission_review)::int AS reviews, (SELECT sum(schema_version) FROM data_file)::int AS versions,
            (SELECT string_agg(name || ':' || type || ':' || sensitive, ',' ORDER BY file_id, position) FROM data_field) AS schema`,
  );
  return row as Record<string, unknown>;
};

const change = (token: string, input: Record<string, unknown>) => api.gql<any>(token, CHANGE, { input: { fileId, ...input } });
/** Grants on the file (or, for scope grants, which name no file, of a grantee), by id. */
const grants = async (token: string, filter: Record<string, string> = { file: fileId }) =>
  new Map(((await api.gql<any>(token, PERMISSION, filter)).data!.permissions.edges as any[]).map((e) => [e.node.id as string, e.node]));

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  world = new World(db);
  const east = await world.district('gv-east');
  health = await world.department('gv-health', east);
  civil = await world.department('gv-civil', east);
  transport = await world.department('gv-transport', east);
  parks = await world.department('gv-parks', east);
  finance = await world.department('gv-finance', east);
  outsider = await world.department('gv-outsider', await world.district('gv-west'));
  api = await startTestApp(database);
  await api.app.listen(0, '127.0.0.1');
  url = `ws://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/graphql`;
  ownerSteward = await api.tokenFor(health, ['STEWARD'], 'dr.chen');
  civilMember = await api.tokenFor(civil, ['MEMBER'], 'li.wei');
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await api?.close();
  await database?.drop();
});

describe('grants tied to a version', () => {
  let civilFeed: Feed;
  let ownerFeed: Feed;
  let financeFeed: Feed;
  let outsiderFeed: Feed;

  it('a grant and an approved exchange record the file version and schema version they were decided on', async () => {
    // INTERNAL: every department of gv-east may discover and read it; none but the grantees may obtain values.
    const registered: any = await api.gql(ownerSteward, REGISTER, {
      input: {
        code: 'clinic-visits',
        title: 'Clinic visits',
        classification: 'INTERNAL',
        category: 'medical records',
        format: 'table',
        fields: [
          { name: 'visit_date', type: 'date' },
          { name: 'age', type: 'string' },
          { name: 'postcode', type: 'string' },
          { name: 'patient_name', type: 'string', sensitive: true },
        ],
      },
    });
    expect(registered.errors).toBeUndefined();
    fileId = registered.data.registerFile.id;
    expect(registered.data.registerFile).toMatchObject({ version: 0, schemaVersion: 1 });
    expect((await api.gql<any>(ownerSteward, PUBLISH, { id: fileId, records: ROWS })).data!.publishRecords.version).toBe(1);

    const granted: any = await api.gql(ownerSteward, GRANT, {
      input: {
        fileId,
        granteeDepartmentCode: civil.code,
        actions: ['EXCHANGE'],
        fields: ['visit_date', 'age'],
        purpose: 'vaccination outreach',
      },
    });
    expect(granted.errors).toBeUndefined();
    expect(granted.data.grantPermission).toMatchObject({
      fields: ['age', 'visit_date'],
      fileVersion: 1,
      schemaVersion: 1,
      needsReview: false,
      fieldsAwaitingReview: [],
    });
    civilGrant = granted.data.grantPermission.id;
    const whole: any = await api.gql(ownerSteward, GRANT, {
      input: { fileId, granteeDepartmentCode: transport.code, actions: ['EXCHANGE'], purpose: 'route planning' },
    });
    transportGrant = whole.data.grantPermission.id;
    parksGrant = await world.grant(
      {
        scope: { districtId: health.districtId, category: 'medical records', maxClassification: 'INTERNAL' },
        grantee: parks,
        action: 'EXCHANGE',
        grantedBy: 'admin@gv-finance',
      },
      health.districtId,
    );

    // Covered by the grant (made by the owner's steward): approved at once, on version 1 and schema 1. Not delivered yet.
    const requested: any = await api.gql(civilMember, REQUEST, {
      input: { fileId, fields: ['visit_date', 'age'], purpose: 'vaccination outreach' },
    });
    expect(requested.data.requestExchange).toMatchObject({ status: 'APPROVED', fileVersion: 1, schemaVersion: 1 });
    approvedExchange = requested.data.requestExchange.id;

    civilFeed = await subscribe(civilMember);
    ownerFeed = await subscribe(await api.tokenFor(health, ['MEMBER']));
    financeFeed = await subscribe(await api.tokenFor(finance, ['MEMBER']));
    outsiderFeed = await subscribe(await api.tokenFor(outsider, ['MEMBER']));
  });

  it('adding a field holds nothing a grant named: unchanged fields keep flowing, and the new field is in no grant that did not name it', async () => {
    const added = await change(ownerSteward, { addFields: [{ name: 'ward', type: 'string' }], note: 'wards from the 2026 census' });
    expect(added.errors).toBeUndefined();
    expect(added.data.changeFileSchema).toMatchObject({
      schemaVersion: 2,
      grantsHeld: 2, // the grant of all fields, and the scope grant: the new field waits for review there
      changes: [{ field: 'ward', change: 'added', from: null, to: 'string' }],
      file: { version: 1, schemaVersion: 2 },
    });
    const held = await grants(ownerSteward);
    expect(held.get(civilGrant)).toMatchObject({
      fields: ['age', 'visit_date'],
      schemaVersion: 1,
      needsReview: false,
      fieldsAwaitingReview: [],
    });
    expect(held.get(transportGrant)).toMatchObject({ fields: null, needsReview: true, fieldsAwaitingReview: ['ward'] });

    const seen: any = await api.gql(civilMember, FIELDS, { id: fileId });
    expect(seen.data.file.fields.filter((f: any) => f.obtainable).map((f: any) => f.name)).toEqual(['visit_date', 'age']);
    expect(seen.data.file.fields.find((f: any) => f.name === 'ward')).toEqual({
      name: 'ward',
      type: 'string',
      sensitive: false,
      obtainable: false,
    });
    // The owner cannot slip the new field into the grant: asking for it waits for a steward's decision.
    const sneak: any = await api.gql(civilMember, REQUEST, { input: { fileId, fields: ['ward'], purpose: 'vaccination outreach' } });
    expect(sneak.data.requestExchange.status).toBe('REQUESTED');
    const byTransport: any = await api.gql(await api.tokenFor(transport), FIELDS, { id: fileId });
    expect(byTransport.data.file.fields.filter((f: any) => !f.obtainable).map((f: any) => f.name)).toEqual(['ward']);
  });

  it("changing a granted field's type and marking it sensitive holds it: the grant needs review", async () => {
    const altered = await change(ownerSteward, { alterFields: [{ name: 'age', type: 'integer', sensitive: true }] });
    expect(altered.errors).toBeUndefined();
    expect(altered.data.changeFileSchema).toMatchObject({
      schemaVersion: 3,
      grantsHeld: 3,
      changes: [
        { field: 'age', change: 'type', from: 'string', to: 'integer' },
        { field: 'age', change: 'sensitive', from: 'false', to: 'true' },
      ],
    });
    // Marking a field no grant names sensitive holds it only where a grant gives it: all fields, the scope.
    const marked = await change(ownerSteward, { alterFields: [{ name: 'postcode', sensitive: true }] });
    expect(marked.data.changeFileSchema).toMatchObject({ schemaVersion: 4, grantsHeld: 2 });
    const held = await grants(ownerSteward);
    expect(held.get(civilGrant)).toMatchObject({ schemaVersion: 1, needsReview: true, fieldsAwaitingReview: ['age'] });
    expect(held.get(transportGrant)).toMatchObject({ needsReview: true, fieldsAwaitingReview: ['age', 'postcode', 'ward'] });
    // The grantee sees its own grant the same way.
    expect((await grants(civilMember)).get(civilGrant)).toMatchObject({ needsReview: true, fieldsAwaitingReview: ['age'] });
  });

  it('delivery of the approved exchange sends the unchanged field and withholds the changed one', async () => {
    const waiting: any = await api.gql(civilMember, `query ($id: ID!) { exchange(id: $id) { status needsReview fieldsAwaitingReview } }`, {
      id: approvedExchange,
    });
    expect(waiting.data.exchange).toEqual({ status: 'APPROVED', needsReview: true, fieldsAwaitingReview: ['age'] });
    const delivered: any = await api.gql(civilMember, DELIVER, { id: approvedExchange });
    expect(delivered.errors).toBeUndefined();
    expect(delivered.data.deliverExchange).toEqual({
      records: ROWS.map((r) => ({ visit_date: r.visit_date })),
      withheldFields: ['age'],
      exchange: { status: 'DELIVERED', withheldFields: ['age'], fields: ['visit_date', 'age'] },
    });
  });

  it('explainAccess says the grant awaits review, for which fields and since which schema version', async () => {
    const explained: any = await api.gql(civilMember, EXPLAIN, { file: fileId, dept: civil.code });
    expect(explained.errors).toBeUndefined();
    expect(explained.data.explainAccess.allowed).toEqual(['DISCOVER', 'READ', 'EXCHANGE']);
    const exchange = explained.data.explainAccess.reasons.find((r: string) => r.startsWith('EXCHANGE:'));
    expect(exchange).toMatch(new RegExp(`grant ${civilGrant}.*awaits review for fields age \\(the file's schema changed in version 3\\)`));
    const byOwner: any = await api.gql(ownerSteward, EXPLAIN, { file: fileId, dept: transport.code });
    expect(byOwner.data.explainAccess.reasons.find((r: string) => r.startsWith('EXCHANGE:'))).toMatch(
      /awaits review for fields age, postcode, ward \(the file's schema changed in version 2\)/,
    );
  });

  it('the feed announces SCHEMA_CHANGED to the owner and the grant holders only', async () => {
    await until(() => civilFeed.events.length >= 3 && ownerFeed.events.length >= 3, 'three schema changes');
    await sleep(500); // anything else would have arrived by now
    const announced = (feed: Feed) => feed.events.map((e) => [e.kind, e.fileId, e.schemaVersion]);
    const expected = [2, 3, 4].map((v) => ['SCHEMA_CHANGED', fileId, v]);
    expect(announced(civilFeed)).toEqual(expected);
    expect(announced(ownerFeed)).toEqual(expected);
    expect(civilFeed.events[0]).toMatchObject({ actor: 'dr.chen@gv-health', note: 'ward added (string) (wards from the 2026 census)' });
    expect(civilFeed.events[1].note).toBe('age: type string → integer; age: marked sensitive');
    // May discover the file (INTERNAL, same district) but holds no grant: not told. May not discover it: not told.
    expect(financeFeed.events).toEqual([]);
    expect(outsiderFeed.events).toEqual([]);
    expect([civilFeed, ownerFeed, financeFeed, outsiderFeed].flatMap((f) => f.errors)).toEqual([]);
    const pulled: any = await api.gql(await api.tokenFor(finance), PULL, { after: null });
    expect(pulled.data.events.edges.filter((e: any) => e.node.kind === 'SCHEMA_CHANGED')).toEqual([]);
  });

  it('the audit log holds each change and the grants it held, appended together', async () => {
    const auditor = await api.tokenFor(outsider, ['AUDITOR']);
    const log: any = await api.gql(
      auditor,
      `{ auditLog(ledger: "gv-east", first: 500) { edges { node { seq actor action subjectId payload } } } }`,
    );
    const entries: any[] = log.data.auditLog.edges.map((e: any) => e.node);
    const changes = entries.filter((e) => e.action === 'file.schema_changed');
    expect(changes.map((e) => [e.subjectId, e.payload.schemaVersion, e.payload.previousSchemaVersion, e.payload.grantsHeld])).toEqual([
      [fileId, 2, 1, 2],
      [fileId, 3, 2, 3],
      [fileId, 4, 3, 2],
    ]);
    expect(changes[1].payload.fields).toContainEqual({ name: 'age', type: 'integer', sensitive: true });
    // Each change is followed at once by its grants held: one transaction, one append.
    const after = (change: any) => entries.filter((e) => Number(e.seq) > Number(change.seq)).slice(0, change.payload.grantsHeld);
    expect(after(changes[1]).map((e) => [e.action, e.subjectId, e.payload.fields])).toEqual(
      expect.arrayContaining([
        ['permission.review_required', civilGrant, ['age']],
        ['permission.review_required', transportGrant, ['age']],
        ['permission.review_required', parksGrant, ['age']],
      ]),
    );
    expect(after(changes[1]).every((e) => e.payload.schemaVersion === 3 && e.actor === 'dr.chen@gv-health')).toBe(true);
    const delivered = entries.find((e) => e.action === 'exchange.delivered' && e.subjectId === approvedExchange);
    expect(delivered.payload).toMatchObject({ fields: ['visit_date'], withheld: ['age'], schemaVersion: 4 });
  });

  it('whoever receives never re-approves; a department that may not see the grant gets NOT_FOUND', async () => {
    const before = await state();
    const byGrantee = await api.gql(await api.tokenFor(civil, ['STEWARD']), REAPPROVE, { id: civilGrant });
    expect(byGrantee.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // An administrator of the grantee's own district and department: separation of duties.
    const ownAdmin = await api.gql(await api.tokenFor(civil, ['DISTRICT_ADMIN']), REAPPROVE, { id: civilGrant });
    expect(ownAdmin.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(ownAdmin.errors?.[0].message).toMatch(/separation of duties/);
    const stranger = await api.gql(await api.tokenFor(outsider, ['STEWARD']), REAPPROVE, { id: civilGrant });
    expect(stranger.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const missing = await api.gql(await api.tokenFor(outsider, ['STEWARD']), REAPPROVE, { id: randomUUID() });
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await state()).toEqual(before);
  });

  it('a steward re-approves: the held field flows again, the grant is decided on the current schema, audited', async () => {
    const reapproved: any = await api.gql(ownerSteward, REAPPROVE, { id: civilGrant, note: 'ages are integers now; still needed' });
    expect(reapproved.errors).toBeUndefined();
    expect(reapproved.data.reapprovePermission).toMatchObject({
      fields: ['age', 'visit_date'],
      fileVersion: 1,
      schemaVersion: 4,
      needsReview: false,
      fieldsAwaitingReview: [],
      active: true,
    });
    const again = await api.gql(ownerSteward, REAPPROVE, { id: civilGrant });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
    // The other grants still wait: re-approving one is no decision on another.
    expect((await grants(ownerSteward)).get(transportGrant)).toMatchObject({ needsReview: true });

    const requested: any = await api.gql(civilMember, REQUEST, {
      input: { fileId, fields: ['visit_date', 'age'], purpose: 'vaccination outreach' },
    });
    expect(requested.data.requestExchange).toMatchObject({ status: 'APPROVED', fileVersion: 1, schemaVersion: 4 });
    const delivered: any = await api.gql(civilMember, DELIVER, { id: requested.data.requestExchange.id });
    expect(delivered.data.deliverExchange.records).toEqual(ROWS.map((r) => ({ visit_date: r.visit_date, age: r.age })));
    expect(delivered.data.deliverExchange.withheldFields).toEqual([]);

    const auditor = await api.tokenFor(outsider, ['AUDITOR']);
    const log: any = await api.gql(
      auditor,
      `{ auditLog(ledger: "gv-east", first: 500) { edges { node { actor action subjectId payload } } } }`,
    );
    const entry = log.data.auditLog.edges.map((e: any) => e.node).find((e: any) => e.action === 'permission.reapproved');
    expect(entry).toMatchObject({
      actor: 'dr.chen@gv-health',
      subjectId: civilGrant,
      payload: { fileId, fields: ['age'], schemaVersion: 4, fileVersion: 1, note: 'ages are integers now; still needed' },
    });
  });

  it("a district administrator re-approves a scope grant's review on one file", async () => {
    const admin = await api.tokenFor(finance, ['DISTRICT_ADMIN'], 'admin');
    const held = (await grants(admin, { grantee: parks.code })).get(parksGrant);
    expect(held).toMatchObject({ needsReview: true, fieldsAwaitingReview: ['age', 'postcode', 'ward'] });
    const byParks: any = await api.gql(await api.tokenFor(parks, ['MEMBER']), FIELDS, { id: fileId });
    expect(byParks.data.file.fields.filter((f: any) => f.obtainable).map((f: any) => f.name)).toEqual(['visit_date', 'patient_name']);
    const reapproved: any = await api.gql(admin, REAPPROVE, { id: parksGrant, fileId });
    expect(reapproved.errors).toBeUndefined();
    // A scope covers many files: the versions are the review's, per file, not the grant's.
    expect(reapproved.data.reapprovePermission).toMatchObject({ fields: null, schemaVersion: null, needsReview: false });
    const now: any = await api.gql(await api.tokenFor(parks, ['MEMBER']), FIELDS, { id: fileId });
    expect(now.data.file.fields.every((f: any) => f.obtainable)).toBe(true);
  });

  it('approving a request that the held grant would cover is a decision on the current schema: it ends the review', async () => {
    const changed = await change(ownerSteward, { alterFields: [{ name: 'visit_date', type: 'string' }] });
    expect(changed.data.changeFileSchema.schemaVersion).toBe(5);
    expect((await grants(ownerSteward)).get(civilGrant)).toMatchObject({ needsReview: true, fieldsAwaitingReview: ['visit_date'] });
    const requested: any = await api.gql(civilMember, REQUEST, {
      input: { fileId, fields: ['visit_date', 'age'], purpose: 'vaccination outreach' },
    });
    expect(requested.data.requestExchange.status).toBe('REQUESTED');
    const approved: any = await api.gql(
      ownerSteward,
      `mutation ($id: ID!) { approveExchange(id: $id) { status permissionId schemaVersion } }`,
      {
        id: requested.data.requestExchange.id,
      },
    );
    expect(approved.data.approveExchange).toEqual({ status: 'APPROVED', permissionId: civilGrant, schemaVersion: 5 });
    expect((await grants(ownerSteward)).get(civilGrant)).toMatchObject({ schemaVersion: 5, needsReview: false, fieldsAwaitingReview: [] });
    const delivered: any = await api.gql(civilMember, DELIVER, { id: requested.data.requestExchange.id });
    expect(delivered.data.deliverExchange.withheldFields).toEqual([]);
    const auditor = await api.tokenFor(outsider, ['AUDITOR']);
    const log: any = await api.gql(auditor, `{ auditLog(ledger: "gv-east", first: 500) { edges { node { action subjectId payload } } } }`);
    const reapprovals = log.data.auditLog.edges.map((e: any) => e.node).filter((e: any) => e.action === 'permission.reapproved');
    expect(reapprovals.at(-1)).toMatchObject({ subjectId: civilGrant, payload: { fields: ['visit_date'], schemaVersion: 5 } });
  });

  it('refuses, writing nothing: an unknown or hidden file (NOT_FOUND, alike), a non-owner (FORBIDDEN), bad input (BAD_USER_INPUT)', async () => {
    const before = await state();
    const missing = randomUUID();
    const outsiderSteward = await api.tokenFor(outsider, ['STEWARD']);
    const hidden = await api.gql(outsiderSteward, CHANGE, { input: { fileId, addFields: [{ name: 'x', type: 'string' }] } });
    const absent = await api.gql(outsiderSteward, CHANGE, { input: { fileId: missing, addFields: [{ name: 'x', type: 'string' }] } });
    expect(hidden.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(hidden).replaceAll(fileId, missing)).toBe(JSON.stringify(absent));
    const notAnId = await api.gql(ownerSteward, CHANGE, { input: { fileId: 'not-an-id', addFields: [{ name: 'x', type: 'string' }] } });
    expect(notAnId.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    for (const [who, token] of [
      ['a steward of a grantee', await api.tokenFor(civil, ['STEWARD'])],
      ['a member of the owner', await api.tokenFor(health, ['MEMBER'])],
      ['a district administrator', await api.tokenFor(finance, ['DISTRICT_ADMIN'])],
    ] as const) {
      const res = await change(token, { addFields: [{ name: 'x', type: 'string' }] });
      expect([who, res.errors?.[0].extensions?.code]).toEqual([who, 'FORBIDDEN']);
    }

    for (const [input, message] of [
      [{}, /at least one field/],
      [{ addFields: [], alterFields: [] }, /at least one field/],
      [{ addFields: [{ name: 'Bad Name', type: 'string' }] }, /snake_case/],
      [{ addFields: [{ name: 'x', type: 'text' }] }, /type must be one of/],
      [{ addFields: [{ name: 'ward', type: 'string' }] }, /already a field/],
      [
        {
          addFields: [
            { name: 'x', type: 'string' },
            { name: 'x', type: 'date' },
          ],
        },
        /appears twice/,
      ],
      [{ alterFields: [{ name: 'no_such_field', type: 'string' }] }, /not a field of this file/],
      [{ alterFields: [{ name: 'age', type: 'integer' }] }, /changes nothing/],
      [{ alterFields: [{ name: 'age' }] }, /changes nothing/],
      [{ alterFields: [{ name: 'age', type: 'decimal' }] }, /type must be one of/],
      // A valid part does not slip through with an invalid one.
      [{ addFields: [{ name: 'y', type: 'string' }], alterFields: [{ name: 'nope', sensitive: true }] }, /not a field of this file/],
    ] as const) {
      const res = await change(ownerSteward, input);
      expect([input, res.errors?.[0].extensions?.code]).toEqual([input, 'BAD_USER_INPUT']);
      expect(res.errors?.[0].message).toMatch(message);
    }
    expect(await state()).toEqual(before);
  });

  it('a grant decided while the schema changes waits for the change, then refuses rather than decide on the old schema', async () => {
    if (database.embedded)
      return console.warn('skipped: holding a schema change open needs a second session (the embedded database has one)');
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let settled = false;
    try {
      // A schema change in flight: its lock taken, its new version written, not committed.
      await lockFileSchema(runner.manager, fileId, 'change');
      await runner.query(`UPDATE data_file SET schema_version = schema_version + 1 WHERE id = $1`, [fileId]);
      const input = {
        fileId,
        granteeDepartmentCode: finance.code,
        actions: ['EXCHANGE'],
        fields: ['visit_date'],
        purpose: 'budget review',
      };
      const granting = api.gql<any>(ownerSteward, GRANT, { input }).finally(() => (settled = true));
      await sleep(500);
      expect(settled).toBe(false);
      await runner.commitTransaction();
      const refused = await granting;
      expect(refused.errors?.[0].extensions?.code).toBe('CONFLICT');
      expect(refused.errors?.[0].message).toMatch(/schema changed .* while this grant was being decided/);
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM permission WHERE grantee_department_id = $1`, [finance.id]);
      expect(n).toBe(0);
      const again: any = await api.gql(ownerSteward, GRANT, { input });
      expect(again.data.grantPermission).toMatchObject({ schemaVersion: 6, needsReview: false });
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
