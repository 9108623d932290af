/**
 * The access service keeps the rules it built for a department and set of
 * roles, and reuses them only while PostgreSQL says the grants they were
 * built from are unchanged: each policy still costs its one statement, and a
 * grant, a revocation, an expiry or a review opened by a schema change is in
 * the very next policy, on this service or on another one (another API
 * instance) over the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessService, GrantService } from '@app/access';
import { AuditKeys } from '@app/audit';
import type { DepartmentRef, Role } from '@app/auth';
import { QueryCounter } from '@app/database';
import { FileSchemaService } from '@app/directory';
import { createDomainContext } from '@app/domain';
import { createTestDatabase, type TestDatabase } from '@app/testing';
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
  member = await world.department('kept-civil', await world.district('kept-west'));
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
