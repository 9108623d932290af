/**
 * What each exchange step costs the database, counted on a real connection:
 * every statement the driver sends (BEGIN and COMMIT included) while the
 * service runs the step. The caller's policy is decided before, as the API
 * does it once per request, and counted apart. Counts, not time: the limits
 * below are the write path's budget of 12 statements per full cycle. Also
 * the ids a step makes, time-ordered so that its inserts stay together.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessService, lockFileSchema, GrantService } from '@app/access';
import { AuditKeys } from '@app/audit';
import type { DepartmentRef, Role } from '@app/auth';
import { QueryCounter } from '@app/database';
import { createDomainContext } from '@app/domain';
import { ExchangeService } from '@app/exchange';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { actorOf, World, type WorldFile } from './world.js';

let database: TestDatabase;
let db: DataSource;
let close: () => Promise<void>;
const counter = new QueryCounter();
let access: AccessService;
let exchanges: ExchangeService;
let permissions: GrantService;
let owner: DepartmentRef;
let requester: DepartmentRef;
let file: WorldFile;

const policy = (department: DepartmentRef, roles: Role[]) => access.policyFor(actorOf(department, roles, 'statements'));

/** The statements `work` sends, with its result (or the error it threw). */
async function counted<T>(work: () => Promise<T>): Promise<{ statements: string[]; result?: T; error?: unknown }> {
  counter.reset();
  try {
    const result = await work();
    return { statements: [...counter.statements], result };
  } catch (error) {
    return { statements: [...counter.statements], error };
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource(counter);
  const { privateKey } = generateKeyPairSync('ed25519');
  const context = await createDomainContext(db, { keys: new AuditKeys(privateKey, [createPublicKey(privateKey)]) });
  close = () => context.close();
  access = context.get(AccessService);
  exchanges = context.get(ExchangeService);
  permissions = context.get(GrantService);
  const world = new World(db);
  owner = await world.department('stmt-health', await world.district('stmt-east'));
  requester = await world.department('stmt-civil', await world.district('stmt-west'));
  file = await world.file(owner, 'RESTRICTED');
  await world.grant({ fileId: file.id, grantee: requester, action: 'READ' }, file.districtId);
  await exchanges.publishRecords(await policy(owner, ['STEWARD']), file.id, [{ record_id: 'r1', age: '40', visit_date: '2026-05-01' }]);
});

afterAll(async () => {
  await close?.();
  await database?.drop();
});

describe('statements per exchange step', () => {
  it('a full cycle (request, approve, deliver, revoke) stays within 12 statements, the callers policies included', async () => {
    const steps: Record<string, number> = {};
    const decide = await counted(() => policy(requester, ['MEMBER']));
    steps.policy = decide.statements.length;
    const requested = await counted(async () =>
      exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age', 'visit_date'], purpose: 'counting' }),
    );
    expect(requested.error).toBeUndefined();
    steps.request = requested.statements.length;
    const approved = await counted(async () => exchanges.approve(await policy(owner, ['STEWARD']), requested.result!.id, null));
    expect(approved.error).toBeUndefined();
    // Decided on the file's versions as the approval's statement locked them, the exchange and its new grant alike.
    expect(approved.result).toMatchObject({ status: 'APPROVED', fileVersion: 1, schemaVersion: 1 });
    const [grant] = await db.query(`SELECT file_version, schema_version FROM permission WHERE id = $1`, [approved.result!.permissionId]);
    expect(grant).toEqual({ file_version: 1, schema_version: 1 });
    steps.approve = approved.statements.length;
    const delivered = await counted(async () => exchanges.deliver(await policy(requester, ['MEMBER']), requested.result!.id));
    expect(delivered.error).toBeUndefined();
    expect(delivered.result!.records).toEqual([{ age: '40', visit_date: '2026-05-01' }]);
    expect(delivered.result!.withheldFields).toEqual([]);
    steps.deliver = delivered.statements.length;
    const revoked = await counted(async () =>
      permissions.revoke(await policy(owner, ['STEWARD']), approved.result!.permissionId!, 'delivered'),
    );
    expect(revoked.error).toBeUndefined();
    steps.revoke = revoked.statements.length;
    // Each step: its caller's policy, one read, and one statement that checks, writes and audits; no BEGIN/COMMIT.
    expect(steps).toEqual({ policy: 1, request: 3, approve: 3, deliver: 3, revoke: 3 });
    for (const step of [requested, approved, delivered, revoked]) {
      expect(step.statements.filter((s) => /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|SET )/i.test(s))).toEqual([]);
      expect(step.statements.filter((s) => s.includes('audit_append_many'))).toHaveLength(1);
    }
    expect(steps.request + steps.approve + steps.deliver + steps.revoke).toBeLessThanOrEqual(12);
  });
});

const entriesAbout = async (subjectId: string) =>
  (await db.query<{ action: string }[]>(`SELECT action FROM audit_entry WHERE subject_id = $1 ORDER BY ledger, seq`, [subjectId])).map(
    (r) => r.action,
  );

const grantsOfShape = async (purpose: string) =>
  db.query<{ id: string; expires_at: Date }[]>(
    `SELECT id, expires_at FROM permission WHERE file_id = $1 AND grantee_department_id = $2 AND purpose = $3 AND revoked_at IS NULL`,
    [file.id, requester.id, purpose],
  );

describe('one statement per step, and the rules it keeps', () => {
  it('an approval meeting an identical grant in force writes nothing in its statement and extends that grant in a transaction', async () => {
    const ask = async () =>
      exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['visit_date', 'age'], purpose: 'twice' });
    // Both filed before either is approved, so neither is approved at once by the other's grant.
    const first = await ask();
    const second = await ask();
    const one = await exchanges.approve(await policy(owner, ['STEWARD']), first.id, null);
    const [granted] = await grantsOfShape('twice');
    expect(granted.id).toBe(one.permissionId);
    const two = await counted(async () => exchanges.approve(await policy(owner, ['STEWARD']), second.id, null));
    expect(two.error).toBeUndefined();
    // The one-statement approval's gate was closed; the transaction then extended the same grant.
    expect(two.statements.some((s) => /START TRANSACTION/.test(s))).toBe(true);
    expect(two.result!.permissionId).toBe(granted.id);
    const after = await grantsOfShape('twice');
    expect(after).toHaveLength(1);
    expect(after[0].expires_at.getTime()).toBeGreaterThan(granted.expires_at.getTime());
    expect(await entriesAbout(granted.id)).toEqual(['permission.granted', 'permission.extended']);
  });

  it('two approvals of identical grants at once make one grant row', async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has a single session, so the approvals would run one after the other, not at once');
      return;
    }
    const ask = async () =>
      exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['record_id'], purpose: 'at once' });
    const [a, b] = [await ask(), await ask()];
    const approved = await Promise.all([a, b].map(async (x) => exchanges.approve(await policy(owner, ['STEWARD']), x.id, null)));
    const grants = await grantsOfShape('at once');
    expect(grants).toHaveLength(1);
    expect(approved.map((x) => x.permissionId)).toEqual([grants[0].id, grants[0].id]);
  });

  it("an approval while the file's schema changes waits for the change, then is decided on the new schema", async () => {
    if (database.embedded) {
      console.warn('skipped: holding a schema change open needs a second session (the embedded database has one)');
      return;
    }
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'mid-change' });
    const [{ schema_version: before }] = await db.query(`SELECT schema_version FROM data_file WHERE id = $1`, [file.id]);
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let settled = false;
    try {
      // A schema change in flight, as the directory makes it: its lock, the file row locked, the new version written.
      await lockFileSchema(runner.manager, file.id, 'change');
      await runner.query(`SELECT schema_version FROM data_file WHERE id = $1 FOR UPDATE`, [file.id]);
      await runner.query(`UPDATE data_file SET schema_version = schema_version + 1 WHERE id = $1`, [file.id]);
      const approving = (async () => exchanges.approve(await policy(owner, ['STEWARD']), x.id, null))().finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(settled).toBe(false);
      await runner.commitTransaction();
      const approved = await approving;
      expect(approved.schemaVersion).toBe(before + 1);
      const [grant] = await db.query(`SELECT schema_version FROM permission WHERE id = $1`, [approved.permissionId]);
      expect(grant.schema_version).toBe(before + 1);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('a step that fails leaves neither its row nor an audit entry', async () => {
    const x = await exchanges.request(await policy(requester, ['MEMBER']), {
      fileId: file.id,
      fields: ['visit_date'],
      purpose: 'fails',
    });
    const approved = await exchanges.approve(await policy(owner, ['STEWARD']), x.id, null);
    const entries = await entriesAbout(x.id);
    // Decided already: the second approval's statement finds nothing to lock and appends nothing.
    const again = await counted(async () => exchanges.approve(await policy(owner, ['STEWARD']), x.id, null));
    expect((again.error as { code?: string }).code).toBe('CONFLICT');
    await exchanges.deliver(await policy(requester, ['MEMBER']), x.id);
    const delivered = await entriesAbout(x.id);
    expect(delivered).toEqual([...entries, 'exchange.delivered']);
    // Delivered already, and a grant revoked twice: refused, nothing written.
    const twice = await counted(async () => exchanges.deliver(await policy(requester, ['MEMBER']), x.id));
    expect((twice.error as { code?: string }).code).toBe('CONFLICT');
    await permissions.revoke(await policy(owner, ['STEWARD']), approved.permissionId!, 'done');
    const revokedAgain = await counted(async () => permissions.revoke(await policy(owner, ['STEWARD']), approved.permissionId!, 'again'));
    expect((revokedAgain.error as { code?: string }).code).toBe('CONFLICT');
    expect(await entriesAbout(x.id)).toEqual(delivered);
    expect(await entriesAbout(approved.permissionId!)).toEqual(['permission.granted', 'permission.revoked']);
  });

  /** A file of its own, so that no grant of an earlier test also gives its fields. */
  const freshFile = async () => {
    const world = new World(db);
    const fresh = await world.file(owner, 'RESTRICTED');
    await world.grant({ fileId: fresh.id, grantee: requester, action: 'READ' }, fresh.districtId);
    await exchanges.publishRecords(await policy(owner, ['STEWARD']), fresh.id, [{ record_id: 'r1', age: '40', visit_date: '2026-05-01' }]);
    return fresh;
  };

  it('a delivery decided on a policy read before its grant was revoked is refused in its statement and records nothing', async () => {
    const file = await freshFile();
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'raced' });
    const approved = await exchanges.approve(await policy(owner, ['STEWARD']), x.id, null);
    // The requester's policy is read (as the API reads it when the request arrives), then the owner revokes.
    const before = await policy(requester, ['MEMBER']);
    await permissions.revoke(await policy(owner, ['STEWARD']), approved.permissionId!, 'changed our mind');
    const late = await counted(() => exchanges.deliver(before, x.id));
    expect(late.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/no active grant allows exchanging age now/) });
    const [row] = await db.query(`SELECT status FROM exchange WHERE id = $1`, [x.id]);
    expect(row.status).toBe('APPROVED');
    expect(await entriesAbout(x.id)).toEqual(['exchange.requested', 'exchange.approved']);
  });

  it('a revocation in flight makes the delivery wait, then refuses it', async () => {
    if (database.embedded) return console.warn('skipped: a transaction held open beside a delivery needs a PostgreSQL server');
    const file = await freshFile();
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'in flight' });
    const approved = await exchanges.approve(await policy(owner, ['STEWARD']), x.id, null);
    const before = await policy(requester, ['MEMBER']);
    // The revocation's row lock is held open while the delivery runs.
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(`UPDATE permission SET revoked_at = now(), revoked_by = 'test', revoke_reason = 'in flight' WHERE id = $1`, [
      approved.permissionId,
    ]);
    const delivery = exchanges.deliver(before, x.id).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await runner.commitTransaction();
    await runner.release();
    expect(await delivery).toMatchObject({ code: 'FORBIDDEN' });
    expect(await entriesAbout(x.id)).toEqual(['exchange.requested', 'exchange.approved']);
  });
});

describe("the approval's gate (permission_same_in_force)", () => {
  it('sees an identical grant while it is in force, and not once it is revoked or expired', async () => {
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'gate' });
    const { permissionId } = await exchanges.approve(await policy(owner, ['STEWARD']), x.id, null);
    const gate = async () => {
      const [row] = await db.query<{ same: boolean }[]>(
        `SELECT permission_same_in_force(district_id, file_id, grantee_department_id, action, fields, purpose) AS same
           FROM permission WHERE id = $1`,
        [permissionId],
      );
      return row.same;
    };
    // Written as the service never writes them, to reach each side of the in-force condition; the table's checks still hold.
    const set = (assignments: string) => db.query(`UPDATE permission SET ${assignments} WHERE id = $1`, [permissionId]);
    await set(`valid_from = now() - interval '1 day'`);
    expect(await gate()).toBe(true);
    await set(`revoked_at = clock_timestamp() + interval '1 hour', revoked_by = 'later'`);
    expect(await gate()).toBe(true);
    await set(`revoked_at = clock_timestamp() - interval '1 second', revoked_by = 'earlier'`);
    expect(await gate()).toBe(false);
    await set(`revoked_at = NULL, revoked_by = NULL, expires_at = clock_timestamp() + interval '1 hour'`);
    expect(await gate()).toBe(true);
    await set(`expires_at = clock_timestamp() - interval '1 second'`);
    expect(await gate()).toBe(false);
  });
});

describe('the ids a step makes', () => {
  /** The milliseconds a version-7 UUID was made at (its first 48 bits). */
  const madeAt = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  const isVersion7 = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id);

  it('exchanges and grants, approved or made directly, get time-ordered ids: made later, they sort later, in the database as in text', async () => {
    const made: { exchange: string; grant: string }[] = [];
    for (const purpose of ['ids first', 'ids second']) {
      const before = Date.now();
      const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose });
      const { permissionId } = await exchanges.approve(await policy(owner, ['STEWARD']), x.id, null);
      const after = Date.now();
      for (const id of [x.id, permissionId!]) {
        expect(isVersion7(id)).toBe(true);
        expect(madeAt(id)).toBeGreaterThanOrEqual(before);
        expect(madeAt(id)).toBeLessThanOrEqual(after);
      }
      made.push({ exchange: x.id, grant: permissionId! });
      // The next ids in a later millisecond: their order is then the time's, not the random bits'.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const [first, second] = made;
    expect(first.exchange < second.exchange && first.grant < second.grant).toBe(true);
    // A grant made directly, not by an approval, alike.
    const before = Date.now();
    const { permission } = await permissions.grant(await policy(owner, ['STEWARD']), {
      fileId: file.id,
      granteeDepartmentCode: requester.code,
      actions: ['EXCHANGE'],
      fields: ['visit_date'],
      purpose: 'ids direct',
    });
    expect(isVersion7(permission.id)).toBe(true);
    expect(madeAt(permission.id)).toBeGreaterThanOrEqual(before);
    expect(permission.id > second.grant).toBe(true);
    const [order] = await db.query<{ exchanges: boolean; grants: boolean }[]>(
      `SELECT $1::uuid < $2::uuid AS exchanges, $3::uuid < $4::uuid AS grants`,
      [first.exchange, second.exchange, first.grant, second.grant],
    );
    expect(order).toEqual({ exchanges: true, grants: true });
  });
});
