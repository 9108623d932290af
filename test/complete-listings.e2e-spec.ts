/**
 * No list is cut silently: the grants a caller may see are paged to the last
 * one, with an exact count, however many there are, and the schema has no
 * unpaged list other than bounded reference lists.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getNamedType, isListType, isNonNullType, isObjectType, type GraphQLOutputType } from 'graphql';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let api: TestApp;
let owner: DepartmentRef;
let grantee: DepartmentRef;
let outsider: DepartmentRef;
let quietFile: { id: string };
let publicFile: { id: string };
const GRANTS = 1_205;

beforeAll(async () => {
  database = await createTestDatabase();
  const db = await database.dataSource();
  const world = new World(db);
  const district = await world.district('cl-east');
  owner = await world.department('cl-health', district);
  grantee = await world.department('cl-civil', district);
  const files = [await world.file(owner, 'INTERNAL'), await world.file(owner, 'RESTRICTED')];
  quietFile = await world.file(owner, 'INTERNAL');
  publicFile = await world.file(owner, 'PUBLIC');
  outsider = await world.department('cl-far', await world.district('cl-west'));
  // One statement: every row has the same granted_at, so only the id orders them (the cursor's tie-breaker).
  await db.query(
    `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by)
     SELECT $1, CASE WHEN n % 2 = 0 THEN $2::uuid ELSE $3::uuid END, $4, 'READ', 'purpose ' || n, 'seed@cl-health'
       FROM generate_series(1, $5) AS n`,
    [district.id, files[0].id, files[1].id, grantee.id, GRANTS],
  );
  api = await startTestApp(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const PAGE = `query ($first: Int, $after: String, $grantee: String) {
  permissions(first: $first, after: $after, granteeDepartmentCode: $grantee) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }
}`;

describe('permissions is a connection', () => {
  it(`pages through all ${GRANTS.toLocaleString('en-US')} grants, each once, with the exact count on every page`, async () => {
    const token = await api.tokenFor(owner);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: any = await api.gql(token, PAGE, { first: 200, after });
      expect(res.errors).toBeUndefined();
      const { totalCount, pageInfo, edges } = res.data.permissions;
      expect(totalCount).toBe(GRANTS);
      seen.push(...edges.map((e: any) => e.node.id));
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(Math.ceil(GRANTS / 200));
    expect(new Set(seen).size).toBe(GRANTS);
    const db = await database.dataSource();
    const stored = await db.query<{ id: string }[]>(`SELECT id FROM permission WHERE grantee_department_id = $1`, [grantee.id]);
    expect(new Set(seen)).toEqual(new Set(stored.map((r) => r.id)));
  });

  it('the grantee counts the same grants from its side; a department with none counts 0', async () => {
    const res: any = await api.gql(await api.tokenFor(grantee), PAGE, { first: 1 });
    expect(res.data.permissions.totalCount).toBe(GRANTS);
    expect(res.data.permissions.edges).toHaveLength(1);
    expect(res.data.permissions.pageInfo.hasNextPage).toBe(true);
    const other = await new World(await database.dataSource()).department('cl-none', { id: owner.districtId, code: 'cl-east' });
    const none: any = await api.gql(await api.tokenFor(other), PAGE, { first: 5 });
    expect(none.data.permissions).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it.each([
    [{ first: 0 }, /first must be an integer from 1 to 200/],
    [{ first: 201 }, /first must be an integer from 1 to 200/],
    [{ first: 10, after: 'not-a-cursor' }, /not a cursor this service issued/],
  ])('refuses %j with BAD_USER_INPUT', async (variables, message) => {
    const res = await api.gql(await api.tokenFor(owner), PAGE, variables);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(message);
  });
});

const AUDIENCE = `query ($file: ID!, $action: Action!, $first: Int, $after: String) {
  fileAudience(fileId: $file, action: $action, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { department { code } reasons } } }
}`;
const COUNTS = `query ($code: String!) { accessCounts(departmentCode: $code) { department { code } discover read exchange } }`;

describe('who can see this file, and what a department can see', () => {
  it('lists the departments that may read an INTERNAL file, each with its reason, paged by code', async () => {
    const token = await api.tokenFor(owner);
    const first: any = await api.gql(token, AUDIENCE, { file: quietFile.id, action: 'READ', first: 1 });
    expect(first.errors).toBeUndefined();
    // The district has three departments (the owner, the grantee, one added by an earlier test or not): each reads by default.
    const all: any = await api.gql(token, AUDIENCE, { file: quietFile.id, action: 'READ', first: 50 });
    const members = all.data.fileAudience.edges.map((e: any) => e.node);
    expect(all.data.fileAudience.totalCount).toBe(members.length);
    expect(members.map((m: any) => m.department.code)).toEqual([...members.map((m: any) => m.department.code)].sort());
    expect(members.find((m: any) => m.department.code === 'cl-health').reasons.join()).toMatch(/owner: cl-health owns the file/);
    expect(members.find((m: any) => m.department.code === 'cl-civil').reasons.join()).toMatch(
      /default: departments of cl-east read its INTERNAL files/,
    );
    expect(members.some((m: any) => m.department.code === 'cl-far')).toBe(false);
    const next: any = await api.gql(token, AUDIENCE, {
      file: quietFile.id,
      action: 'READ',
      first: 1,
      after: first.data.fileAudience.pageInfo.endCursor,
    });
    expect(next.data.fileAudience.edges[0].node.department.code).toBe(members[1].department.code);
    // Only the owner may exchange it: no grant on this file.
    const exchange: any = await api.gql(token, AUDIENCE, { file: quietFile.id, action: 'EXCHANGE' });
    expect(exchange.data.fileAudience.edges.map((e: any) => e.node.department.code)).toEqual(['cl-health']);
  });

  it('a grant puts its grantee in the audience, with the grant as the reason', async () => {
    const res: any = await api.gql(await api.tokenFor(owner), AUDIENCE, { file: publicFile.id, action: 'EXCHANGE', first: 10 });
    expect(res.data.fileAudience.edges.map((e: any) => e.node.department.code)).toEqual(['cl-health']);
    const db = await database.dataSource();
    await db.query(
      `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by) VALUES ($1, $2, $3, 'EXCHANGE', 'audience check', 'seed@cl-health')`,
      [owner.districtId, publicFile.id, outsider.id],
    );
    const after: any = await api.gql(await api.tokenFor(owner), AUDIENCE, { file: publicFile.id, action: 'EXCHANGE', first: 10 });
    const far = after.data.fileAudience.edges.find((e: any) => e.node.department.code === 'cl-far');
    expect(far.node.reasons.join()).toMatch(/audience check/);
    expect(after.data.fileAudience.totalCount).toBe(2);
  });

  it('is refused to a department that may not see the file (NOT_FOUND) or its grants (FORBIDDEN)', async () => {
    const far = await api.tokenFor(outsider);
    const hidden = await api.gql(far, AUDIENCE, { file: quietFile.id, action: 'READ' });
    expect(hidden.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const forbidden = await api.gql(far, AUDIENCE, { file: publicFile.id, action: 'READ' });
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it("counts a department's files per action for itself and auditors; not for another department", async () => {
    const own: any = await api.gql(await api.tokenFor(grantee), COUNTS, { code: 'cl-civil' });
    expect(own.errors).toBeUndefined();
    const { discover, read, exchange } = own.data.accessCounts;
    // Four files of its district: the two granted (READ), the quiet INTERNAL one, the PUBLIC one.
    expect(read).toBeGreaterThanOrEqual(4);
    expect(discover).toBeGreaterThanOrEqual(read);
    expect(exchange).toBe(0);
    const auditor: any = await api.gql(await api.tokenFor(outsider, ['AUDITOR']), COUNTS, { code: 'cl-civil' });
    expect(auditor.data.accessCounts).toEqual(own.data.accessCounts);
    const refused = await api.gql(await api.tokenFor(outsider), COUNTS, { code: 'cl-civil' });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const unknown = await api.gql(await api.tokenFor(owner), COUNTS, { code: 'no-such-department' });
    expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

/**
 * The lists that may stay unpaged, each with what bounds it. Anything else
 * that returns a list of objects must be a connection's edges.
 */
const BOUNDED_LISTS: Record<string, string> = {
  'Query.districts': 'the districts and counties of the city (17)',
  'Query.departments': 'the departments of the city, reference data',
  'District.departments': "a district's departments, reference data",
  'DataFile.fields': 'at most 200 fields per file',
  'SchemaChange.changes': 'the changes of one schema change: at most three per field of one file',
  'AccessExplanation.permissions': 'the grants one department holds in force on one file',
  'Query.auditPublicKeys': 'the signing keys the service trusts',
  'CheckpointBundle.ledgers': "one signed head per district's ledger",
  ...Object.fromEntries(
    ['districts', 'owners', 'classifications', 'categories', 'tags'].map((f) => [
      `FileFacets.${f}`,
      'its 50 most frequent values, as the type says',
    ]),
  ),
};

describe('the schema', () => {
  it('has no unpaged list of objects except the bounded reference lists', () => {
    const schema = api.app.get(GraphQLSchemaHost).schema;
    const unwrap = (type: GraphQLOutputType) => (isNonNullType(type) ? type.ofType : type);
    const unpaged: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isListType(unwrap(field.type)) || !isObjectType(getNamedType(field.type))) continue;
        const name = `${type.name}.${field.name}`;
        const isEdges = field.name === 'edges' && type.name.endsWith('Connection');
        if (!isEdges && !(name in BOUNDED_LISTS)) unpaged.push(name);
      }
    }
    expect(unpaged).toEqual([]);
  });
});
