/**
 * No leak, by construction of random worlds: for every department, in every
 * role, walking every page of `files` returns exactly the files, `myAccess`
 * and field catalogue (with `obtainable` per field) that an independent
 * oracle (a plain function over the world, below) allows, each file once, as
 * many as `totalCount` says; and `file(id)` agrees for every file.
 *
 * PROPERTY_RUNS sets how many worlds are tried (default below keeps the suite
 * fast; a nightly-style run uses 200 or more).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Prng } from '@app/directory';
import { ROLES, type DepartmentRef, type Role } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile, type WorldGrant } from './world.js';

const CLASSES = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'] as const;
const ACTIONS = ['DISCOVER', 'READ', 'EXCHANGE'] as const;
const CATEGORIES = ['health', 'vehicles', 'housing'];
const DAY = 86_400_000;
const DEFAULT_RUNS = 15;
const RUNS = Number(process.env.PROPERTY_RUNS ?? DEFAULT_RUNS);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`PROPERTY_RUNS must be a positive integer (got "${process.env.PROPERTY_RUNS}")`);

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
  departments: { department: DepartmentRef; roles: Role[] }[];
  files: WorldFile[];
  grants: (WorldGrant & { active: boolean })[];
}

/** What the API shows of one file: the caller's actions and the catalogue with obtainable values. */
interface Shown {
  id: string;
  myAccess: string[];
  fields: { name: string; obtainable: boolean }[];
}

const level = (action: (typeof ACTIONS)[number]): number => ACTIONS.indexOf(action) + 1;

/**
 * The oracle, from first principles: the rule set of ARCHITECTURE.md and the
 * field catalogue rule. The owner has every action and every value. Others:
 * PUBLIC files, INTERNAL files of their district, every file for platform
 * administrators and auditors, their district's files for district
 * administrators, are READ; active grants add their action (and what it
 * implies), EXCHANGE only for members and stewards (administrators and
 * auditors never exchange). READ shows every field; a field's values are
 * obtainable with EXCHANGE under a grant of all fields or one naming it.
 */
function oracle(model: Model, me: DepartmentRef, roles: Role[]): Map<string, Shown> {
  const has = (...r: Role[]) => r.some((x) => roles.includes(x));
  const dataUser = has('MEMBER', 'STEWARD');
  const shown = new Map<string, Shown>();
  for (const file of model.files) {
    const names = file.fields.map((f) => f.name);
    if (file.ownerDepartmentId === me.id) {
      shown.set(file.id, { id: file.id, myAccess: [...ACTIONS], fields: names.map((name) => ({ name, obtainable: true })) });
      continue;
    }
    let best = 0;
    const sameDistrict = file.districtId === me.districtId;
    if (file.classification === 'PUBLIC' || (file.classification === 'INTERNAL' && sameDistrict)) best = level('READ');
    if (has('PLATFORM_ADMIN', 'AUDITOR') || (has('DISTRICT_ADMIN') && sameDistrict)) best = level('READ');
    const obtainable = new Set<string>();
    for (const g of model.grants) {
      if (!g.active || g.grantee.id !== me.id) continue;
      const covers = g.fileId
        ? g.fileId === file.id
        : g.scope!.districtId === file.districtId &&
          g.scope!.category === file.category &&
          CLASSES.indexOf(file.classification) <= CLASSES.indexOf(g.scope!.maxClassification);
      if (!covers) continue;
      const given = dataUser ? level(g.action) : Math.min(level(g.action), level('READ'));
      best = Math.max(best, given);
      if (given === level('EXCHANGE')) (g.fields ?? names).forEach((f) => obtainable.add(f));
    }
    if (best === 0) continue;
    const exchange = best === level('EXCHANGE');
    shown.set(file.id, {
      id: file.id,
      myAccess: ACTIONS.slice(0, best),
      fields: best >= level('READ') ? names.map((name) => ({ name, obtainable: exchange && obtainable.has(name) })) : [],
    });
  }
  return shown;
}

async function buildWorld(seed: number): Promise<Model & { districtCodes: string[] }> {
  const rng = new Prng(seed);
  const prefix = `pw${++run}`;
  const districts = [await world.district(`${prefix}-a`), await world.district(`${prefix}-b`)];
  // Every role in every world, one per department, sometimes with a second role beside it.
  const roleOrder = rng.sample(ROLES, ROLES.length);
  const departments: Model['departments'] = [];
  for (let i = 0; i < roleOrder.length; i++) {
    const roles = [roleOrder[i]];
    if (rng.next() < 0.25) roles.push(rng.pick(ROLES.filter((r) => r !== roleOrder[i])));
    departments.push({ department: await world.department(`${prefix}-d${i}`, districts[i % 2]), roles });
  }
  const owners = departments.map((d) => d.department);
  const files: WorldFile[] = [];
  for (let i = 0, n = rng.int(8, 18); i < n; i++) {
    const fields = Array.from({ length: rng.int(1, 5) }, (_, k) => ({
      name: `f${k}`,
      type: 'string' as const,
      sensitive: rng.next() < 0.4,
      description: null,
    }));
    files.push(await world.file(rng.pick(owners), rng.pick(CLASSES), { category: rng.pick(CATEGORIES), fields }));
  }
  const grants: Model['grants'] = [];
  for (let i = 0, n = rng.int(0, 20); i < n; i++) {
    const grantee = rng.pick(owners);
    const file = rng.pick(files);
    const scope = rng.next() < 0.3;
    const fate = rng.pick(['active', 'active', 'expired', 'revoked', 'future'] as const);
    const g: WorldGrant = {
      fileId: scope ? undefined : file.id,
      scope: scope ? { districtId: file.districtId, category: file.category, maxClassification: rng.pick(CLASSES) } : undefined,
      grantee,
      action: rng.pick(ACTIONS),
      fields:
        scope || rng.next() < 0.4
          ? null
          : rng.sample(
              file.fields.map((f) => f.name),
              rng.int(1, file.fields.length),
            ),
      validFrom: fate === 'future' ? new Date(Date.now() + DAY) : new Date(Date.now() - 10 * DAY),
      expiresAt: fate === 'expired' ? new Date(Date.now() - DAY) : rng.next() < 0.5 ? new Date(Date.now() + 30 * DAY) : null,
      revokedAt: fate === 'revoked' ? new Date(Date.now() - 1000) : null,
    };
    await world.grant(g, file.districtId);
    grants.push({ ...g, active: fate === 'active' });
  }
  return { departments, files, grants, districtCodes: districts.map((d) => d.code) };
}

const SHOWN = 'id myAccess fields { name obtainable }';

/**
 * Walks every page; a row seen twice is a failure, not merged away. The walk
 * stops at the first repeat (a cursor that does not advance would loop).
 */
async function walk(token: string, districtCodes: string[], pageSize: number) {
  const rows: Shown[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  do {
    const res: any = await api.gql(
      token,
      `query ($first: Int, $after: String, $districts: [String!]) {
        files(first: $first, after: $after, filter: { districtCodes: $districts }) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${SHOWN} } } }
      }`,
      { first: pageSize, after, districts: districtCodes },
    );
    expect(res.errors).toBeUndefined();
    totals.add(res.data.files.totalCount);
    const page: Shown[] = res.data.files.edges.map((e: { node: Shown }) => e.node);
    const repeats = page.some((row) => rows.some((r) => r.id === row.id));
    rows.push(...page);
    after = res.data.files.pageInfo.hasNextPage && !repeats ? res.data.files.pageInfo.endCursor : null;
  } while (after);
  return { rows, totals: [...totals] };
}

it(
  'every department, in every role, sees exactly what the oracle allows, in every page and by id, over many random worlds',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 7 }), async (seed, pageSize) => {
        const model = await buildWorld(seed);
        for (const { department: me, roles } of model.departments) {
          const token = await api.tokenFor(me, roles);
          const expected = oracle(model, me, roles);
          const who = { department: me.code, roles };

          const { rows, totals } = await walk(token, model.districtCodes, pageSize);
          const ids = rows.map((r) => r.id);
          const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
          expect({ who, repeated }).toEqual({ who, repeated: [] });
          // Every page reports the same total, the rows walked, and what the oracle counts.
          expect({ who, totals }).toEqual({ who, totals: [rows.length] });
          expect({ who, count: rows.length }).toEqual({ who, count: expected.size });
          const byId = (list: Shown[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
          expect({ who, files: byId(rows) }).toEqual({ who, files: byId([...expected.values()]) });

          // file(id) for every file of the world, in one request: the same answer, or null.
          const query = `{ ${model.files.map((f, i) => `f${i}: file(id: "${f.id}") { ${SHOWN} }`).join(' ')} }`;
          const single: any = await api.gql(token, query);
          expect(single.errors).toBeUndefined();
          model.files.forEach((f, i) => {
            expect({ who, file: f.id, shown: single.data[`f${i}`] }).toEqual({ who, file: f.id, shown: expected.get(f.id) ?? null });
          });
        }
      }),
      { numRuns: RUNS },
    );
  },
  Math.max(120_000, RUNS * 2_000),
);

/**
 * The same oracle, read the other way: for each file and action, the
 * departments whose members may take it (fileAudience, every page); for each
 * department, how many files its members may discover, read and exchange
 * (accessCounts). Departments and files outside the world (earlier runs) are
 * seen by the default rules alone: PUBLIC files, read by everyone.
 */
it(
  "every file's audience and every department's access counts agree with the oracle, over many random worlds",
  async () => {
    const db = await database.dataSource();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 7 }), async (seed, pageSize) => {
        const model = await buildWorld(seed);
        const auditor = await api.tokenFor(model.departments[0].department, ['AUDITOR']);
        const worldDepartments = new Map(model.departments.map(({ department }) => [department.id, department]));
        const everyDepartment = (await db.query<{ id: string; code: string }[]>(`SELECT id, code FROM department`)).map((d) => d.code);
        const asMembers = new Map(model.departments.map(({ department }) => [department.id, oracle(model, department, ['MEMBER'])]));

        for (const file of model.files) {
          for (const action of ACTIONS) {
            const expected = new Set(
              model.departments
                .filter(({ department }) => asMembers.get(department.id)!.get(file.id)?.myAccess.includes(action))
                .map(({ department }) => department.code),
            );
            if (file.classification === 'PUBLIC' && action !== 'EXCHANGE') everyDepartment.forEach((code) => expected.add(code));
            const seen: string[] = [];
            const totals = new Set<number>();
            let after: string | null = null;
            do {
              const res: any = await api.gql(
                auditor,
                `query ($file: ID!, $action: Action!, $first: Int, $after: String) {
                fileAudience(fileId: $file, action: $action, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { department { id code } reasons } } }
              }`,
                { file: file.id, action, first: pageSize * 10, after },
              );
              expect(res.errors).toBeUndefined();
              totals.add(res.data.fileAudience.totalCount);
              for (const { node } of res.data.fileAudience.edges) {
                seen.push(node.department.code);
                // Every member of the audience is there for a reason, in explainAccess's words.
                expect({ file: file.id, action, department: node.department.code, reasons: node.reasons.length > 0 }).toEqual({
                  file: file.id,
                  action,
                  department: node.department.code,
                  reasons: true,
                });
                if (worldDepartments.has(node.department.id) && file.ownerDepartmentId === node.department.id)
                  expect(node.reasons.join()).toMatch(/owns the file/);
              }
              after = res.data.fileAudience.pageInfo.hasNextPage ? res.data.fileAudience.pageInfo.endCursor : null;
            } while (after);
            const who = { file: file.id, classification: file.classification, action };
            expect({ who, repeated: seen.length - new Set(seen).size }).toEqual({ who, repeated: 0 });
            expect({ who, totals: [...totals] }).toEqual({ who, totals: [seen.length] });
            expect({ who, audience: [...seen].sort() }).toEqual({ who, audience: [...expected].sort() });
          }
        }

        // Files outside this world that a department's members see by default: the PUBLIC ones.
        const worldFiles = model.files.map((f) => f.id);
        const [{ n: publicElsewhere }] = await db.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM data_file WHERE classification = 'PUBLIC' AND id <> ALL($1::uuid[])`,
          [worldFiles],
        );
        for (const { department } of model.departments) {
          const res: any = await api.gql(
            auditor,
            `query ($code: String!) { accessCounts(departmentCode: $code) { discover read exchange } }`,
            { code: department.code },
          );
          expect(res.errors).toBeUndefined();
          const shown = [...asMembers.get(department.id)!.values()];
          const count = (action: string) => shown.filter((s) => s.myAccess.includes(action)).length;
          expect({ department: department.code, counts: res.data.accessCounts }).toEqual({
            department: department.code,
            counts: { discover: count('DISCOVER') + publicElsewhere, read: count('READ') + publicElsewhere, exchange: count('EXCHANGE') },
          });
        }
      }),
      { numRuns: RUNS },
    );
  },
  // Each world's grants are made through the service, which takes the file's schema lock and reads the file again per grant.
  Math.max(300_000, RUNS * 10_000),
);
