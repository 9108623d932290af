/**
 * No leak, by construction of random worlds: for every department, walking
 * every page of `files` returns exactly the files and fields that an
 * independent oracle (a plain function over the world, below) says it may
 * see, and `file(id)` agrees.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Prng } from '@app/directory';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile, type WorldGrant } from './world.js';

const CLASSES = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'] as const;
const ACTIONS = ['DISCOVER', 'READ', 'EXCHANGE'] as const;
const CATEGORIES = ['health', 'vehicles', 'housing'];
const DAY = 86_400_000;

let database: TestDatabase;
let api: TestApp;
let world: World;
let run = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  world = new World(await database.dataSource());
  api = await startTestApp(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

interface Model {
  departments: DepartmentRef[];
  files: WorldFile[];
  grants: (WorldGrant & { active: boolean })[];
}

/** The oracle: what a department's members may see, from first principles. */
function oracle(model: Model, me: DepartmentRef): Map<string, string[]> {
  const visible = new Map<string, string[]>();
  for (const file of model.files) {
    const all = file.fields.map((f) => f.name);
    if (file.ownerDepartmentId === me.id) {
      visible.set(file.id, all);
      continue;
    }
    let discover = false;
    const readable = new Set<string>();
    if (file.classification === 'PUBLIC' || (file.classification === 'INTERNAL' && file.districtId === me.districtId)) {
      discover = true;
      file.fields.filter((f) => !f.sensitive).forEach((f) => readable.add(f.name));
    }
    for (const g of model.grants) {
      if (!g.active || g.grantee.id !== me.id) continue;
      const covers = g.fileId
        ? g.fileId === file.id
        : g.scope!.districtId === file.districtId && g.scope!.category === file.category && CLASSES.indexOf(file.classification) <= CLASSES.indexOf(g.scope!.maxClassification);
      if (!covers) continue;
      discover = true;
      if (g.action !== 'DISCOVER') (g.fields ?? all).forEach((f) => readable.add(f));
    }
    if (discover) visible.set(file.id, all.filter((f) => readable.has(f)));
  }
  return visible;
}

async function buildWorld(seed: number): Promise<Model & { districtCodes: string[] }> {
  const rng = new Prng(seed);
  const prefix = `pw${++run}`;
  const districts = [await world.district(`${prefix}-a`), await world.district(`${prefix}-b`)];
  const departments: DepartmentRef[] = [];
  for (let i = 0; i < 5; i++) departments.push(await world.department(`${prefix}-d${i}`, districts[i % 2]));
  const files: WorldFile[] = [];
  for (let i = 0, n = rng.int(8, 18); i < n; i++) {
    const fields = Array.from({ length: rng.int(1, 5) }, (_, k) => ({ name: `f${k}`, type: 'string' as const, sensitive: rng.next() < 0.4, description: null }));
    files.push(await world.file(rng.pick(departments), rng.pick(CLASSES), { category: rng.pick(CATEGORIES), fields }));
  }
  const grants: Model['grants'] = [];
  for (let i = 0, n = rng.int(0, 20); i < n; i++) {
    const grantee = rng.pick(departments);
    const file = rng.pick(files);
    const scope = rng.next() < 0.3;
    const fate = rng.pick(['active', 'active', 'expired', 'revoked', 'future'] as const);
    const g: WorldGrant = {
      fileId: scope ? undefined : file.id,
      scope: scope ? { districtId: file.districtId, category: file.category, maxClassification: rng.pick(CLASSES) } : undefined,
      grantee,
      action: rng.pick(ACTIONS),
      fields: scope || rng.next() < 0.4 ? null : rng.sample(file.fields.map((f) => f.name), rng.int(1, file.fields.length)),
      validFrom: fate === 'future' ? new Date(Date.now() + DAY) : new Date(Date.now() - 10 * DAY),
      expiresAt: fate === 'expired' ? new Date(Date.now() - DAY) : rng.next() < 0.5 ? new Date(Date.now() + 30 * DAY) : null,
      revokedAt: fate === 'revoked' ? new Date(Date.now() - 1000) : null,
    };
    await world.grant(g, file.districtId);
    grants.push({ ...g, active: fate === 'active' });
  }
  return { departments, files, grants, districtCodes: districts.map((d) => d.code) };
}

it('every department sees exactly what the oracle allows, in every page and by id, over many random worlds', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 7 }), async (seed, pageSize) => {
      const model = await buildWorld(seed);
      for (const me of model.departments) {
        const token = await api.tokenFor(me);
        const expected = oracle(model, me);
        const seen = new Map<string, string[]>();
        let after: string | null = null;
        let total = -1;
        do {
          const res: any = await api.gql(token, `query ($first: Int, $after: String, $districts: [String!]) {
            files(first: $first, after: $after, filter: { districtCodes: $districts }) { totalCount pageInfo { hasNextPage endCursor } edges { node { id fields { name } } } }
          }`, { first: pageSize, after, districts: model.districtCodes });
          expect(res.errors).toBeUndefined();
          total = res.data.files.totalCount;
          for (const { node } of res.data.files.edges) seen.set(node.id, node.fields.map((f: any) => f.name).sort());
          after = res.data.files.pageInfo.hasNextPage ? res.data.files.pageInfo.endCursor : null;
        } while (after);
        const sorted = new Map([...expected].map(([id, fields]) => [id, [...fields].sort()]));
        expect(seen).toEqual(sorted);
        expect(total).toBe(sorted.size);
        for (const file of model.files) {
          const res: any = await api.gql(token, `query ($id: ID!) { file(id: $id) { id } }`, { id: file.id });
          expect([file.id, res.data.file?.id ?? null]).toEqual([file.id, expected.has(file.id) ? file.id : null]);
        }
      }
    }),
    { numRuns: 15 },
  );
});
