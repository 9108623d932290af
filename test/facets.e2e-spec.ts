/**
 * Facet counts are computed in SQL over exactly the files the caller may
 * discover: they agree with the listing's totals and never count a hidden file.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let api: TestApp;
let member: string;
let owner: DepartmentRef;

const FACETS = `query ($filter: FileFilter) {
  fileFacets(filter: $filter) {
    districts { value label count } owners { value label count } classifications { value count } categories { value count } tags { value count }
  }
}`;
const TOTAL = `query ($filter: FileFilter) { files(filter: $filter, first: 1) { totalCount } }`;

type Counts = Record<
  'districts' | 'owners' | 'classifications' | 'categories' | 'tags',
  { value: string; label?: string | null; count: number }[]
>;
const asMap = (list: { value: string; count: number }[]) => Object.fromEntries(list.map((c) => [c.value, c.count]));

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  const a = await world.district('facet-a');
  const b = await world.district('facet-b');
  owner = await world.department('facet-a-health', a);
  const other = await world.department('facet-a-finance', a);
  const reader = await world.department('facet-b-civil', b);
  // Of owner's 12 files, the reader in another district may discover only the PUBLIC ones (3), plus one RESTRICTED by grant.
  const classes = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'] as const;
  let granted = '';
  for (let i = 0; i < 12; i++) {
    const file = await world.file(owner, classes[i % 4], {
      category: i % 8 < 4 ? 'finance' : 'medical records',
      tags: i % 3 ? ['health'] : ['open-data', 'health'],
      title: i < 6 ? `Vaccination ${i}` : `Budget ${i}`,
    });
    if (i === 2) granted = file.id;
  }
  await world.file(other, 'PUBLIC', { category: 'finance', tags: ['budget'] });
  await world.grant({ fileId: granted, grantee: reader, action: 'READ' }, a.id);
  api = await startTestApp(database);
  member = await api.tokenFor(reader);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

it('counts only what the caller may discover, by every facet', async () => {
  const { data, errors } = await api.gql<{ fileFacets: Counts }>(member, FACETS, { filter: {} });
  expect(errors).toBeUndefined();
  const facets = data!.fileFacets;
  expect(asMap(facets.classifications)).toEqual({ PUBLIC: 4, RESTRICTED: 1 });
  expect(facets.districts).toEqual([{ value: 'facet-a', label: 'facet-a', count: 5 }]);
  expect(asMap(facets.owners)).toEqual({ 'facet-a-health': 4, 'facet-a-finance': 1 });
  expect(asMap(facets.categories)).toEqual({ finance: 4, 'medical records': 1 });
  expect(asMap(facets.tags)).toEqual({ health: 4, 'open-data': 1, budget: 1 });
});

it('agrees with the listing: each count is the total of filtering by that value', async () => {
  const { data } = await api.gql<{ fileFacets: Counts }>(member, FACETS, { filter: { search: 'vaccination' } });
  for (const { value, count } of data!.fileFacets.classifications) {
    const total = await api.gql<{ files: { totalCount: number } }>(member, TOTAL, {
      filter: { search: 'vaccination', classifications: [value] },
    });
    expect([value, total.data!.files.totalCount]).toEqual([value, count]);
  }
  expect(asMap(data!.fileFacets.classifications)).toEqual({ PUBLIC: 2, RESTRICTED: 1 });
});

it('counts each facet under every filter but its own, so other values stay visible', async () => {
  const { data } = await api.gql<{ fileFacets: Counts }>(member, FACETS, { filter: { classifications: ['RESTRICTED'] } });
  // The classification facet ignores its own filter; the others are narrowed by it.
  expect(asMap(data!.fileFacets.classifications)).toEqual({ PUBLIC: 4, RESTRICTED: 1 });
  expect(asMap(data!.fileFacets.owners)).toEqual({ 'facet-a-health': 1 });
});

it('the owner counts all of its own files', async () => {
  const { data } = await api.gql<{ fileFacets: Counts }>(await api.tokenFor(owner), FACETS, {
    filter: { ownerDepartmentCodes: [owner.code] },
  });
  expect(asMap(data!.fileFacets.classifications)).toEqual({ PUBLIC: 3, INTERNAL: 3, RESTRICTED: 3, CONFIDENTIAL: 3 });
});

it('refuses a filter over the limits in words', async () => {
  const { errors } = await api.gql(member, FACETS, { filter: { search: 'x'.repeat(201) } });
  expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});
