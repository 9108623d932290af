/**
 * The hot statements are prepared so that PostgreSQL plans them once. That
 * holds only if, after its five custom plans, PostgreSQL finds the generic
 * plan no dearer than a custom one; a statement whose generic estimate comes
 * out higher (a sub-plan whose rows the planner multiplies, say) is planned
 * again at every execution, forever, and nothing but its time shows it. So
 * here every step of an exchange cycle, a caller's policy, a page by time
 * with its total, a kept page and a search run a dozen times on one
 * connection, and every prepared statement run more than five times must have
 * been executed with a generic plan since (pg_prepared_statements counts both).
 * Then the requester is given years of history, 5,000 ended grants, and the
 * policy statement, which every request runs, must keep its generic plan:
 * read straight from permission, they made it re-plan forever (see migration
 * GrantsNotEndedFunction). Left to choose, PostgreSQL still re-plans the page
 * by time then; the API's connections run generic plans only
 * (`genericPlans`), and under that history a page and a search must run
 * them and still read only the grants in force.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessService, GrantService } from '@app/access';
import { AuditKeys } from '@app/audit';
import type { DepartmentRef, Role } from '@app/auth';
import { createDataSource } from '@app/database';
import { grantsHeldChanged } from '../libs/access/src/grants-held.repository.js';
import { DirectoryService } from '@app/directory';
import { createDomainContext } from '@app/domain';
import { ExchangeService } from '@app/exchange';
import { createTestDatabase, indexEntriesRead, type TestDatabase } from '@app/testing';
import { actorOf, World, type WorldFile } from './world.js';

const ROUNDS = 12;

let database: TestDatabase;
let db: DataSource;
let close: () => Promise<void>;
let access: AccessService;
let directory: DirectoryService;
let exchanges: ExchangeService;
let permissions: GrantService;
let owner: DepartmentRef;
let requester: DepartmentRef;
let file: WorldFile;

const policy = (department: DepartmentRef, roles: Role[]) => access.policyFor(actorOf(department, roles, 'plans'));

interface PlannedStatement {
  statement: string;
  generic_plans: string;
  custom_plans: string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection: every statement is prepared in the one session pg_prepared_statements shows.
  db = await createDataSource({ url: database.url, poolSize: 1, applicationName: 'tests' }).initialize();
  const { privateKey } = generateKeyPairSync('ed25519');
  const context = await createDomainContext(db, { keys: new AuditKeys(privateKey, [createPublicKey(privateKey)]) });
  close = async () => {
    await context.close();
    await db.destroy();
  };
  access = context.get(AccessService);
  directory = context.get(DirectoryService);
  exchanges = context.get(ExchangeService);
  permissions = context.get(GrantService);
  const world = new World(db);
  owner = await world.department('plans-health', await world.district('plans-east'));
  requester = await world.department('plans-civil', await world.district('plans-west'));
  file = await world.file(owner, 'RESTRICTED', { title: 'Clinic visits of the plans' });
  for (let i = 0; i < 30; i += 1) await world.file(owner, i % 2 ? 'PUBLIC' : 'INTERNAL', { title: `Plans register ${i}` });
  await world.grant({ fileId: file.id, grantee: requester, action: 'READ' }, file.districtId);
  await exchanges.publishRecords(await policy(owner, ['STEWARD']), file.id, [{ record_id: 'r1', age: '40', visit_date: '2026-05-01' }]);
}, 60_000);

afterAll(async () => {
  await close?.();
  await database?.drop();
});

describe('prepared hot statements', () => {
  it(`are executed with a generic plan once PostgreSQL has made its custom ones (${ROUNDS} rounds on one connection)`, async () => {
    const fields = (file.fields ?? []).map((f) => f.name).slice(0, 2);
    for (let round = 0; round < ROUNDS; round += 1) {
      const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields, purpose: `round ${round}` });
      const approved = await exchanges.approve(await policy(owner, ['STEWARD']), x.id, null);
      await exchanges.deliver(await policy(requester, ['MEMBER']), x.id);
      await permissions.revoke(await policy(owner, ['STEWARD']), approved.permissionId!, 'delivered');
      // A page by time with its total and a search: each found again after the round's writes, then kept.
      const member = await policy(requester, ['MEMBER']);
      for (const filter of [{}, {}, { search: 'register' }, { search: 'register' }]) await directory.listFiles(member, filter, 5, null);
    }
    const statements = await db.query<PlannedStatement[]>(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`);
    const hot = statements.filter((s) => Number(s.generic_plans) + Number(s.custom_plans) > 5);
    // The cycle's reads and writes, the policy, the page by time, the search and the kept search's page.
    expect(hot.length).toBeGreaterThanOrEqual(12);
    const replannedForever = hot.filter((s) => Number(s.generic_plans) === 0).map((s) => s.statement.replace(/\s+/g, ' ').slice(0, 300));
    expect(replannedForever).toEqual([]);
  });

  it("keep it for every request's policy when the department holds 5,000 ended grants", async () => {
    // Its plans must be made afresh under the new statistics, in a session of its own.
    if (database.embedded) return console.log('skipped: the embedded database has one session; checked on PostgreSQL');
    // Years of exchanges: the requester's grants, each revoked after its delivery, and statistics that know them.
    await db.query(
      `INSERT INTO permission (district_id, file_id, grantee_department_id, action, fields, purpose, valid_from, granted_by, revoked_at, revoked_by)
       SELECT $1, $2, $3, 'EXCHANGE', '{age}', 'exchange ' || g, now() - interval '400 days', 'steward@test',
              now() - interval '1 day' * (g % 300 + 1), 'steward@test'
         FROM generate_series(1, 5000) AS g`,
      [file.districtId, file.id, requester.id],
    );
    await db.query('ANALYZE permission');
    // A connection of its own, so that its plans are made under these statistics.
    const fresh = await createDataSource({ url: database.url, poolSize: 1, applicationName: 'tests' }).initialize();
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const department of [requester, owner]) {
          const whole = await grantsHeldChanged(fresh.manager, department.id, new Date(), null);
          await grantsHeldChanged(fresh.manager, department.id, new Date(), { tag: whole.tag, versions: whole.changed!.versions });
          // As after a write elsewhere: the tag known is another one, so the grants of the changed districts are read.
          await grantsHeldChanged(fresh.manager, department.id, new Date(), { tag: 'stale', versions: new Map() });
        }
      }
      const policies = (
        await fresh.query<PlannedStatement[]>(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`)
      ).filter((s) => s.statement.includes('permission_grantee_version'));
      expect(policies.length).toBeGreaterThanOrEqual(2);
      for (const p of policies)
        expect({ generic: Number(p.generic_plans) > 0, runs: Number(p.generic_plans) + Number(p.custom_plans) }).toEqual({
          generic: true,
          runs: p.statement.includes('WHERE v.version::text IS DISTINCT') ? 4 * ROUNDS : 2 * ROUNDS,
        });
    } finally {
      await fresh.destroy();
    }
  });

  it("run generic plans for a page and a search on the API's connections under that history, reading only the grants in force", async () => {
    if (database.embedded) return console.log('skipped: the embedded database has one session; checked on PostgreSQL');
    // The API's settings, on a connection of its own (the history of the case above is in place).
    const api = await createDataSource({
      url: database.url,
      poolSize: 1,
      applicationName: 'tests',
      serialPlans: true,
      genericPlans: true,
    }).initialize();
    const { privateKey } = generateKeyPairSync('ed25519');
    const context = await createDomainContext(api, { keys: new AuditKeys(privateKey, [createPublicKey(privateKey)]) });
    try {
      const [apiAccess, apiDirectory] = [context.get(AccessService), context.get(DirectoryService)];
      const member = () => apiAccess.policyFor(actorOf(requester, ['MEMBER'], 'plans'));
      const filters = [{}, { search: 'register' }];
      for (let round = 0; round < ROUNDS; round += 1)
        for (const filter of filters) await apiDirectory.listFiles(await member(), filter, 5, null);
      // Every statement of the session, the page by time and the kept search's page among them.
      const statements = await api.query<PlannedStatement[]>(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`);
      const runs = (marker: string) =>
        statements.filter((s) => s.statement.includes(marker)).reduce((n, s) => n + Number(s.generic_plans) + Number(s.custom_plans), 0);
      expect(runs('WITH districts AS MATERIALIZED')).toBeGreaterThanOrEqual(ROUNDS);
      expect(runs('SELECT page.*')).toBeGreaterThanOrEqual(ROUNDS - 1);
      expect(statements.filter((s) => Number(s.custom_plans) > 0).map((s) => s.statement.slice(0, 200))).toEqual([]);
      // The index entries of permission a page and a search read, counted by the database in a transaction
      // (the pool's one connection): the grant in force, not the 5,000 that ended.
      await api.query('BEGIN');
      try {
        const entriesRead = () => indexEntriesRead(api, 'permission');
        const before = await entriesRead();
        for (const filter of filters) {
          const page = await apiDirectory.listFiles(await member(), filter, 5, null);
          expect(page.items.length).toBeGreaterThan(0);
        }
        expect((await entriesRead()) - before).toBeLessThan(100);
      } finally {
        await api.query('COMMIT');
      }
    } finally {
      await context.close();
      await api.destroy();
    }
  });
});
