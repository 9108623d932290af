/**
 * The access service keeps the rules it built for a department and set of
 * roles, and reuses them only while PostgreSQL says the grants they were
 * built from are unchanged: each policy still costs its one statement, and a
 * grant, a revocation, an extended expiry, an expiry or a review opened by a
 * schema change is in the very next policy, on this service or on another
 * one (another API instance) over the same database; and a grant's start or
 * end, which no write marks, at its instant.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessService, GrantService, type GrantFacts } from '@app/access';
import { appendAuditEntries, AuditKeys } from '@app/audit';
import type { DepartmentRef, Role } from '@app/auth';
import { ANY_DISTRICT } from '@app/common';
import { QueryCounter } from '@app/database';
import { FileSchemaService } from '@app/directory';
import { createDomainContext } from '@app/domain';
import { createTestDatabase, type TestDatabase } from '@app/testing';
// The two reads of a department's grants, below the access library's public surface.
import { grantsHeldAt, grantsHeldChanged } from '../libs/access/src/grants-held.repository.js';
import { actorOf, World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let otherDb: DataSource;
const counter = new QueryCounter();
const closers: (() => Promise<void>)[] = [];
let access: AccessService;
let otherAccess: AccessService;
let grants: GrantService;
let otherGrants: GrantService;
let schemas: FileSchemaService;
let world: World;
let owner: DepartmentRef;
let member: DepartmentRef;
let west: Awaited<ReturnType<World['district']>>;
let file: WorldFile;

const ownerSteward = () => access.policyFor(actorOf(owner, ['STEWARD'], 'steward'));
const memberPolicy = (service = access, roles: Role[] = ['MEMBER'], at?: Date) => service.policyFor(actorOf(member, roles), at);

beforeAll(async () => {
  database = await createTestDatabase();
  const keys = () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return new AuditKeys(privateKey, [createPublicKey(privateKey)]);
  };
  db = await database.dataSource(counter);
  const context = await createDomainContext(db, { keys: keys() });
  closers.push(() => context.close());
  access = context.get(AccessService);
  grants = context.get(GrantService);
  schemas = context.get(FileSchemaService);
  // A second instance of the service: its own data source, its own kept rules.
  otherDb = await database.dataSource();
  const other = await createDomainContext(otherDb, { keys: keys() });
  closers.push(() => other.close());
  otherAccess = other.get(AccessService);
  otherGrants = other.get(GrantService);
  world = new World(db);
  const district = await world.district('kept-east');
  owner = await world.department('kept-health', district);
  west = await world.district('kept-west');
  member = await world.department('kept-civil', west);
  file = await world.file(owner, 'RESTRICTED');
});

afterAll(async () => {
  for (const close of closers) await close();
  await database?.drop();
});

describe('kept rules', () => {
  it('are reused while the grants are unchanged, each policy still decided by one statement', async () => {
    const first = await memberPolicy();
    counter.reset();
    const second = await memberPolicy();
    expect(counter.statements).toHaveLength(1);
    expect(second.rules).toBe(first.rules);
    expect(second.at.getTime()).toBeGreaterThanOrEqual(first.at.getTime());
    // Other roles are other rules.
    expect((await memberPolicy(access, ['PLATFORM_ADMIN'])).rules).not.toBe(first.rules);
    expect((await memberPolicy(access, ['MEMBER', 'MEMBER'])).rules).toBe(first.rules);
  });

  it('take a grant and its revocation at once, on this instance and on another', async () => {
    const before = await memberPolicy();
    const elsewhere = await memberPolicy(otherAccess);
    expect(before.can('READ', file)).toBe(false);
    expect(elsewhere.can('READ', file)).toBe(false);

    const { permission } = await grants.grant(await ownerSteward(), {
      fileId: file.id,
      granteeDepartmentCode: member.code,
      actions: ['READ'],
      purpose: 'kept rules',
    });
    const granted = await memberPolicy();
    expect(granted.rules).not.toBe(before.rules);
    expect(granted.can('READ', file)).toBe(true);
    expect((await memberPolicy(otherAccess)).can('READ', file)).toBe(true);

    // Revoked through the other instance: this one's kept rules give way at once.
    await otherGrants.revoke(await otherAccess.policyFor(actorOf(owner, ['STEWARD'], 'steward')), permission.id, 'no longer needed');
    expect((await memberPolicy()).can('READ', file)).toBe(false);
    expect((await memberPolicy(otherAccess)).can('READ', file)).toBe(false);
  });

  it('take an extended expiry: the same grant, its row updated in place, is explained with its new date', async () => {
    const extensionFile = await world.file(owner, 'RESTRICTED');
    const first = new Date(Date.now() + 86_400_000);
    const later = new Date(Date.now() + 30 * 86_400_000);
    const steward = await ownerSteward();
    const made = await grants.grant(steward, {
      fileId: extensionFile.id,
      granteeDepartmentCode: member.code,
      actions: ['READ'],
      purpose: 'extended',
      expiresAt: first,
    });
    const before = await memberPolicy();
    const reasons = (policy: typeof before) => policy.explain(extensionFile).flatMap((e) => e.reasons);
    expect(reasons(before).some((r) => r.includes(first.toISOString()))).toBe(true);
    const extended = await grants.grant(await ownerSteward(), {
      fileId: extensionFile.id,
      granteeDepartmentCode: member.code,
      actions: ['READ'],
      purpose: 'extended',
      expiresAt: later,
    });
    expect(extended.extended).toBe(true);
    expect(extended.permission.id).toBe(made.permission.id);
    const after = await memberPolicy();
    expect(after.rules).not.toBe(before.rules);
    expect(reasons(after).some((r) => r.includes(later.toISOString()))).toBe(true);
    expect(reasons(after).some((r) => r.includes(first.toISOString()))).toBe(false);
  });

  it('are kept per department as the rules name it: the same id under another district is other rules', async () => {
    const north = await world.district('kept-north');
    const south = await world.district('kept-south');
    const moving = await world.department('kept-moving', north);
    const internal = await world.file(await world.department('kept-north-owner', north), 'INTERNAL');
    const before = await access.policyFor(actorOf(moving, ['MEMBER']));
    expect(before.grants).toHaveLength(0);
    expect(before.can('READ', internal)).toBe(true);
    // The reference data now says the department sits in the south (as a move would): nothing of the north's INTERNAL files.
    const moved = { ...moving, districtId: south.id, districtCode: south.code };
    const after = await access.policyFor(actorOf(moved, ['MEMBER']));
    expect(after.rules).not.toBe(before.rules);
    expect(after.can('READ', internal)).toBe(false);
    // Two departments holding no grant have the same tag, and still their own rules.
    const other = await access.policyFor(actorOf(await world.department('kept-other', north), ['MEMBER']));
    expect(other.rules).not.toBe(before.rules);
  });

  it('are built from the same grants, decoded from the tagged statement, as the plain read gives', async () => {
    const reviewed = await world.file(owner, 'INTERNAL');
    await world.grant(
      {
        fileId: reviewed.id,
        grantee: member,
        action: 'EXCHANGE',
        fields: ['age', 'record_id'],
        expiresAt: new Date(Date.now() + 7 * 86_400_000),
      },
      reviewed.districtId,
    );
    await schemas.change(await ownerSteward(), { fileId: reviewed.id, alterFields: [{ name: 'age', type: 'integer' }] });
    const at = new Date();
    const byId = (list: readonly GrantFacts[]) => [...list].sort((x, y) => x.id.localeCompare(y.id));
    const plain = byId(await grantsHeldAt(db.manager, ANY_DISTRICT, member.id, at));
    const whole = await grantsHeldChanged(db.manager, member.id, at, null);
    expect(plain.some((g) => g.expiresAt !== null && g.fields !== null && (g.held?.length ?? 0) > 0)).toBe(true);
    expect(byId([...whole.changed!.districts.values()].flatMap((d) => d.grants))).toEqual(plain);
    // The same tag again: nothing is sent.
    expect(await grantsHeldChanged(db.manager, member.id, at, { tag: whole.tag, versions: whole.changed!.versions })).toEqual({
      tag: whole.tag,
      changed: null,
    });
  });

  it("are read again only in the district whose grants changed, and keep the department's others", async () => {
    const eastFile = await world.file(owner, 'RESTRICTED');
    const westOwner = await world.department('kept-west-health', west);
    const westFile = await world.file(westOwner, 'RESTRICTED');
    await world.grant({ fileId: eastFile.id, grantee: member, action: 'READ' }, eastFile.districtId);
    await world.grant({ fileId: westFile.id, grantee: member, action: 'READ' }, westFile.districtId);
    const before = await grantsHeldChanged(db.manager, member.id, new Date(), null);
    expect(before.changed!.districts.has(eastFile.districtId) && before.changed!.districts.has(westFile.districtId)).toBe(true);

    const westAgain = await world.file(westOwner, 'RESTRICTED');
    await world.grant({ fileId: westAgain.id, grantee: member, action: 'READ' }, westAgain.districtId);
    const after = await grantsHeldChanged(db.manager, member.id, new Date(), { tag: before.tag, versions: before.changed!.versions });
    expect(after.tag).not.toBe(before.tag);
    expect([...after.changed!.versions.keys()]).toEqual([westFile.districtId]);
    expect([...after.changed!.districts.keys()]).toEqual([westFile.districtId]);
    expect(after.changed!.districts.get(westFile.districtId)!.grants.map((g) => g.fileId)).toEqual(
      expect.arrayContaining([westFile.id, westAgain.id]),
    );
    // The kept rules hold both districts' grants: the east one kept, the west ones read again.
    const policy = await memberPolicy();
    expect([eastFile, westFile, westAgain].map((f) => policy.can('READ', f))).toEqual([true, true, true]);
  });

  it('hold only until the next instant one of their grants starts or ends, with no write in between', async () => {
    const startFile = await world.file(owner, 'RESTRICTED');
    const validFrom = new Date(Date.now() + 60_000);
    const expiresAt = new Date(Date.now() + 120_000);
    await world.grant({ fileId: startFile.id, grantee: member, action: 'READ', validFrom, expiresAt }, startFile.districtId);
    const now = await memberPolicy();
    expect(now.can('READ', startFile)).toBe(false);
    // Nothing is written between these policies: the grant's start and end alone change what the department holds.
    const started = await memberPolicy(access, ['MEMBER'], new Date(validFrom.getTime() + 1));
    expect(started.rules).not.toBe(now.rules);
    expect(started.can('READ', startFile)).toBe(true);
    const ended = await memberPolicy(access, ['MEMBER'], new Date(expiresAt.getTime()));
    expect(ended.rules).not.toBe(started.rules);
    expect(ended.can('READ', startFile)).toBe(false);
  });

  it("are not discarded by a change to another department's grants", async () => {
    const kept = await memberPolicy();
    const bystander = await world.department('kept-bystander', west);
    await world.grant({ fileId: file.id, grantee: bystander, action: 'READ' }, file.districtId);
    expect((await memberPolicy()).rules).toBe(kept.rules);
    await world.grant({ fileId: file.id, grantee: member, action: 'DISCOVER' }, file.districtId);
    expect((await memberPolicy()).rules).not.toBe(kept.rules);
  });

  it("are versioned by the database alone: the API's role writes grants, which version them, but cannot set a version", async () => {
    const kept = await memberPolicy();
    const asApp = (sql: string, params: unknown[] = []) =>
      db.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        return tx.query(sql, params);
      });
    await expect(
      asApp(`UPDATE permission_grantee_version SET version = gen_random_uuid() WHERE grantee_department_id = $1`, [member.id]),
    ).rejects.toThrow(/permission denied/);
    // With its audit entry in the same transaction, which the database requires of the API's role (AuditedWrites).
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL ROLE exchange_app');
      const [{ id }] = await tx.query<{ id: string }[]>(
        `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by)
         VALUES ($1, $2, $3, 'DISCOVER', 'as the API', 'test') RETURNING id`,
        [file.districtId, file.id, member.id],
      );
      const ledger = file.districtId === owner.districtId ? 'kept-east' : 'kept-west';
      await appendAuditEntries(tx, [
        { ledger, actor: 'test', action: 'permission.granted', subjectType: 'Permission', subjectId: id, parties: [], payload: {} },
      ]);
    });
    expect((await memberPolicy()).rules).not.toBe(kept.rules);
  });

  it('never hold a grant written before its entry and a revocation written with its entry waiting for each other', async () => {
    if (database.embedded) return console.log('skipped: the embedded database has a single session; this needs two at once');
    const ledger = file.districtId === owner.districtId ? 'kept-east' : 'kept-west';
    const revoked = await world.grant({ fileId: file.id, grantee: member, action: 'READ' }, file.districtId);
    const granting = db.createQueryRunner();
    await granting.connect();
    try {
      // As GrantService writes a grant: the row, then (its other reads done) the audit entry, which takes the ledger's lock.
      await granting.startTransaction();
      await granting.query(
        `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by)
         VALUES ($1, $2, $3, 'DISCOVER', 'two at once', 'test')`,
        [file.districtId, file.id, member.id],
      );
      // As a revocation is written: the row and its entry (the ledger's lock) in one statement, committed at once.
      const revoking = db.query(
        `WITH r AS (UPDATE permission SET revoked_at = now(), revoked_by = 'test' WHERE district_id = $1 AND id = $2 RETURNING id),
              a AS (SELECT * FROM audit_lock_tail($3))
         SELECT count(*)::int AS n FROM r, a`,
        [file.districtId, revoked, ledger],
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await granting.query(`SELECT * FROM audit_lock_tail($1)`, [ledger]);
      await granting.commitTransaction();
      expect(await revoking).toEqual([{ n: 1 }]);
    } finally {
      if (granting.isTransactionActive) await granting.rollbackTransaction();
      await granting.release();
    }
    const policy = await memberPolicy();
    expect(policy.grants.some((g) => g.id === revoked)).toBe(false);
    expect(policy.grants.some((g) => g.purpose === 'two at once')).toBe(true);
  });

  it('are versioned per department, and the versions go with it: its grants and then itself removed in one transaction', async () => {
    const leaving = await world.department('kept-leaving', west);
    const grant = await world.grant({ fileId: file.id, grantee: leaving, action: 'READ' }, file.districtId);
    const versions = () => db.query(`SELECT district_id FROM permission_grantee_version WHERE grantee_department_id = $1`, [leaving.id]);
    expect(await versions()).toEqual([{ district_id: file.districtId }]);
    // As a district's migration is reverted: the grants, then the department; the version is replaced at the commit.
    await db.transaction(async (tx) => {
      await tx.query(`DELETE FROM permission WHERE district_id = $1 AND id = $2`, [file.districtId, grant]);
      await tx.query(`DELETE FROM department WHERE id = $1`, [leaving.id]);
    });
    expect(await versions()).toEqual([]);
  });

  it('drop a grant when it expires', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    await world.grant({ fileId: file.id, grantee: member, action: 'READ', expiresAt }, file.districtId);
    const now = await memberPolicy();
    expect(now.can('READ', file)).toBe(true);
    const later = await memberPolicy(access, ['MEMBER'], new Date(expiresAt.getTime() + 1));
    expect(later.can('READ', file)).toBe(false);
    expect(later.rules).not.toBe(now.rules);
    // And back: at the earlier instant the grant is in force again.
    expect((await memberPolicy()).can('READ', file)).toBe(true);
  });

  it('take a review opened by a schema change: the fields it holds are no longer obtainable', async () => {
    const exchangeFile = await world.file(owner, 'INTERNAL');
    await world.grant(
      { fileId: exchangeFile.id, grantee: member, action: 'EXCHANGE', fields: ['age', 'visit_date'] },
      exchangeFile.districtId,
    );
    const obtainable = async () => (await memberPolicy()).obtainableFields(exchangeFile, exchangeFile.fields).map((f) => f.name);
    expect(await obtainable()).toEqual(['visit_date', 'age']);
    await schemas.change(await ownerSteward(), { fileId: exchangeFile.id, alterFields: [{ name: 'age', type: 'integer' }] });
    expect(await obtainable()).toEqual(['visit_date']);
  });
});

describe('the instant of a write', () => {
  /** The millisecond the service's clock reads for an instant the database wrote (a Date holds no finer time). */
  const millisecond = async (sql: string, id: string) => {
    const [row] = await db.query<{ ms: string }[]>(
      `SELECT floor(extract(epoch FROM (${sql})) * 1000)::bigint AS ms FROM permission p WHERE p.id = $1`,
      [id],
    );
    return new Date(Number(row.ms));
  };

  it('is the millisecond a grant, its revocation and a review take effect at: a policy decided in that millisecond sees each', async () => {
    const instantFile = await world.file(owner, 'INTERNAL');
    const { permission } = await grants.grant(await ownerSteward(), {
      fileId: instantFile.id,
      granteeDepartmentCode: member.code,
      actions: ['EXCHANGE'],
      fields: ['age', 'visit_date'],
      purpose: 'instants',
    });
    const granted = await millisecond('p.valid_from', permission.id);
    expect((await memberPolicy(otherAccess, ['MEMBER'], granted)).can('EXCHANGE', instantFile)).toBe(true);

    await schemas.change(await ownerSteward(), { fileId: instantFile.id, alterFields: [{ name: 'age', type: 'integer' }] });
    const opened = await millisecond(
      `SELECT max(r.opened_at) FROM permission_review r WHERE r.district_id = p.district_id AND r.permission_id = p.id`,
      permission.id,
    );
    const held = (await memberPolicy(otherAccess, ['MEMBER'], opened)).fieldsAwaitingReview(instantFile, instantFile.fields);
    expect(held.map((f) => f.name)).toEqual(['age']);

    await grants.revoke(await ownerSteward(), permission.id, 'instants');
    const revoked = await millisecond('p.revoked_at', permission.id);
    expect((await memberPolicy(otherAccess, ['MEMBER'], revoked)).can('EXCHANGE', instantFile)).toBe(false);
  });
});

/** A write to a department's grants or their reviews, as any writer could make it (the service, a migration, a cascade). */
type Write =
  | { kind: 'grant'; grantee: number; file: number; action: 'DISCOVER' | 'READ' | 'EXCHANGE'; starts: number; ends: number | null }
  | { kind: 'scope'; grantee: number; district: number; ends: number | null }
  | { kind: 'revoke' | 'extend' | 'delete' | 'review' | 'resolve'; pick: number; opens: number }
  | { kind: 'drop file'; file: number };

const HOUR = 3_600_000;

describe('kept rules, over any sequence of writes and instants', () => {
  it('hold exactly the grants a plain read gives, for every department, at every instant', async () => {
    const north = await world.district('kept-prop-north');
    const south = await world.district('kept-prop-south');
    const owners = [await world.department('kept-prop-owner-n', north), await world.department('kept-prop-owner-s', south)];
    const grantees = [await world.department('kept-prop-a', north), await world.department('kept-prop-b', south)];
    const start = Date.now();
    const change = (kind: 'revoke' | 'extend' | 'delete' | 'review' | 'resolve') =>
      fc.record({ kind: fc.constant(kind), pick: fc.nat(), opens: fc.integer({ min: -1, max: 3 }) });
    // Grants first, then every kind of change to them about as often.
    const write = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('grant' as const),
          grantee: fc.nat(1),
          file: fc.nat(5),
          action: fc.constantFrom('DISCOVER' as const, 'READ' as const, 'EXCHANGE' as const),
          starts: fc.integer({ min: -2, max: 3 }),
          ends: fc.option(fc.integer({ min: 4, max: 8 })),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('scope' as const),
          grantee: fc.nat(1),
          district: fc.nat(1),
          ends: fc.option(fc.integer({ min: 1, max: 8 })),
        }),
      },
      { weight: 1, arbitrary: change('revoke') },
      { weight: 1, arbitrary: change('extend') },
      { weight: 1, arbitrary: change('delete') },
      { weight: 2, arbitrary: change('review') },
      { weight: 1, arbitrary: change('resolve') },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop file' as const), file: fc.nat(5) }) },
    );
    await fc.assert(
      // Time moves on between writes (0 to 2 hours), as it does for a service: kept rules are then reused whenever they may be.
      fc.asyncProperty(fc.array(fc.tuple(write, fc.nat(2)), { minLength: 1, maxLength: 12 }), async (steps) => {
        await db.query(`DELETE FROM permission WHERE grantee_department_id = ANY($1::uuid[])`, [grantees.map((g) => g.id)]);
        const files = await Promise.all(Array.from({ length: 6 }, (_, i) => world.file(owners[i % 2], 'RESTRICTED')));
        const live = new Set(files.map((f) => f.id));
        let hoursLater = -1;
        for (const [step, elapsed] of steps) {
          await apply(step, files, live, grantees, [north, south], start);
          hoursLater += elapsed;
          const at = new Date(start + hoursLater * HOUR);
          for (const grantee of grantees) {
            const plain = await grantsHeldAt(db.manager, ANY_DISTRICT, grantee.id, at);
            for (const service of database.embedded ? [access] : [access, otherAccess]) {
              const kept = await service.policyFor(actorOf(grantee, ['MEMBER']), at);
              expect(byId(kept.grants)).toEqual(byId(plain));
            }
          }
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 25) },
    );
  });
});

const byId = (list: readonly GrantFacts[]) => [...list].sort((x, y) => x.id.localeCompare(y.id));

/** One write, straight to the tables: the triggers must see it whoever makes it. */
async function apply(
  step: Write,
  files: WorldFile[],
  live: Set<string>,
  grantees: DepartmentRef[],
  districts: { id: string }[],
  start: number,
): Promise<void> {
  const hours = (n: number) => new Date(start + n * HOUR);
  const grantIds = async (where = 'TRUE') =>
    (
      await db.query<{ id: string }[]>(`SELECT id FROM permission WHERE grantee_department_id = ANY($1::uuid[]) AND ${where} ORDER BY id`, [
        grantees.map((g) => g.id),
      ])
    ).map((r) => r.id);
  const picked = async (pick: number, where?: string) => {
    const ids = await grantIds(where);
    return ids.length ? ids[pick % ids.length] : undefined;
  };
  switch (step.kind) {
    case 'grant': {
      const file = files[step.file];
      if (!live.has(file.id)) return;
      await world.grant(
        {
          fileId: file.id,
          grantee: grantees[step.grantee],
          action: step.action,
          fields: step.action === 'EXCHANGE' ? ['age', 'record_id'] : null,
          validFrom: hours(step.starts),
          expiresAt: step.ends === null ? null : hours(step.ends),
        },
        file.districtId,
      );
      return;
    }
    case 'scope':
      await world.grant(
        {
          scope: { districtId: districts[step.district].id, category: 'medical records', maxClassification: 'RESTRICTED' },
          grantee: grantees[step.grantee],
          action: 'READ',
          validFrom: hours(-1),
          expiresAt: step.ends === null ? null : hours(step.ends),
        },
        undefined,
      );
      return;
    case 'revoke': {
      const id = await picked(step.pick, 'revoked_at IS NULL');
      if (id) await db.query(`UPDATE permission SET revoked_at = $2, revoked_by = 'test' WHERE id = $1`, [id, hours(step.opens)]);
      return;
    }
    case 'extend': {
      const id = await picked(step.pick, 'expires_at IS NOT NULL');
      if (id) await db.query(`UPDATE permission SET expires_at = expires_at + interval '1 day' WHERE id = $1`, [id]);
      return;
    }
    case 'delete': {
      const id = await picked(step.pick);
      if (id) await db.query(`DELETE FROM permission WHERE id = $1`, [id]);
      return;
    }
    case 'review': {
      const id = await picked(step.pick, 'file_id IS NOT NULL');
      if (id) {
        await db.query(
          `INSERT INTO permission_review (district_id, permission_id, file_id, schema_version, fields, changes, opened_at, opened_by)
           SELECT district_id, id, file_id, 2, ARRAY['age'], 'age: type', $2, 'test' FROM permission WHERE id = $1`,
          [id, hours(step.opens)],
        );
      }
      return;
    }
    case 'resolve': {
      const [review] = await db.query<{ id: string; opened_at: Date }[]>(
        `SELECT r.id, r.opened_at FROM permission_review r JOIN permission p ON p.district_id = r.district_id AND p.id = r.permission_id
          WHERE p.grantee_department_id = ANY($1::uuid[]) AND r.resolved_at IS NULL ORDER BY r.id`,
        [grantees.map((g) => g.id)],
      );
      if (review) {
        const at = new Date(Math.max(review.opened_at.getTime(), hours(step.opens).getTime()));
        await db.query(`UPDATE permission_review SET resolved_at = $2, resolved_by = 'test' WHERE id = $1`, [review.id, at]);
      }
      return;
    }
    case 'drop file': {
      // A file's removal cascades to its grants and its reviews.
      const file = files[step.file];
      if (live.delete(file.id)) await db.query(`DELETE FROM data_file WHERE district_id = $1 AND id = $2`, [file.districtId, file.id]);
      return;
    }
  }
}
