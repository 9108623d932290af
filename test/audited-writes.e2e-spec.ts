/**
 * The database refuses a grant, an exchange or a file's rows written by the
 * application's role without their audit entry in the same transaction
 * (migrations AuditedWrites, AuditedFileWrites and GrantVersionsAudited), and every write of the
 * services, run as that role over a real login, passes the check.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AccessService, GrantService } from '@app/access';
import { appendAuditEntries, AuditKeys } from '@app/audit';
import type { DepartmentRef, Role } from '@app/auth';
import { createDataSource } from '@app/database';
import { DirectoryService, FileSchemaService } from '@app/directory';
import { createDomainContext } from '@app/domain';
import { ExchangeService } from '@app/exchange';
import { createTestDatabase, withAdminClient, type TestDatabase } from '@app/testing';
import { actorOf, World, type WorldFile } from './world.js';

let database: TestDatabase;
let owner: DataSource;
/** The services on a login that is a member of exchange_app, as docker-compose.yml runs the API. */
let asApp: DataSource | undefined;
let close: (() => Promise<void>) | undefined;
let access: AccessService;
let exchanges: ExchangeService;
let permissions: GrantService;
let directory: DirectoryService;
let schemas: FileSchemaService;
let steward: DepartmentRef;
let requester: DepartmentRef;
let file: WorldFile;
/** A file whose EXCHANGE grant (`reviewed`) a schema change holds for review. */
let reviewFile: WorldFile;
let reviewed: string;
const login = `exchange_audited_test_${randomBytes(4).toString('hex')}`;

const policy = (department: DepartmentRef, roles: Role[]) => access.policyFor(actorOf(department, roles, 'audited'));
const skipped = () => {
  if (!database.embedded) return false;
  console.warn('skipped: the embedded database has no login roles');
  return true;
};

beforeAll(async () => {
  database = await createTestDatabase();
  owner = await database.dataSource();
  const world = new World(owner);
  steward = await world.department('aw-health', await world.district('aw-east'));
  requester = await world.department('aw-civil', await world.district('aw-west'));
  file = await world.file(steward, 'RESTRICTED');
  await world.grant({ fileId: file.id, grantee: requester, action: 'READ' }, file.districtId);
  reviewFile = await world.file(steward, 'RESTRICTED');
  reviewed = await world.grant({ fileId: reviewFile.id, grantee: requester, action: 'EXCHANGE' }, reviewFile.districtId);
  if (database.embedded) return;
  await withAdminClient(process.env.TEST_SERVER_URL!, (c) => c.query(`CREATE ROLE ${login} LOGIN IN ROLE exchange_app`));
  const url = new URL(database.url);
  url.username = login;
  asApp = await createDataSource({ url: url.toString(), poolSize: 2 }).initialize();
  const { privateKey } = generateKeyPairSync('ed25519');
  const context = await createDomainContext(asApp, { keys: new AuditKeys(privateKey, [createPublicKey(privateKey)]) });
  close = () => context.close();
  access = context.get(AccessService);
  exchanges = context.get(ExchangeService);
  permissions = context.get(GrantService);
  directory = context.get(DirectoryService);
  schemas = context.get(FileSchemaService);
});

afterAll(async () => {
  await close?.();
  await asApp?.destroy();
  await database?.drop();
  if (!database?.embedded) await withAdminClient(process.env.TEST_SERVER_URL!, (c) => c.query(`DROP ROLE IF EXISTS ${login}`));
});

describe("the services' writes, as the application's role", () => {
  it('publish, grant, extend, request, approve, deliver, reject and revoke all commit with their entries', async () => {
    if (skipped()) return;
    const stewardPolicy = () => policy(steward, ['STEWARD']);
    await exchanges.publishRecords(await stewardPolicy(), file.id, [{ record_id: 'r1', age: '40', visit_date: '2026-05-01' }]);
    const granted = await permissions.grant(await stewardPolicy(), {
      fileId: file.id,
      granteeDepartmentCode: requester.code,
      actions: ['READ'],
      purpose: 'audited writes',
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    // The same grant again, later: it extends the first.
    const extended = await permissions.grant(
      await stewardPolicy(),
      {
        fileId: file.id,
        granteeDepartmentCode: requester.code,
        actions: ['READ'],
        purpose: 'audited writes',
        expiresAt: new Date(Date.now() + 2 * 86_400_000),
      },
      undefined,
      'reuse',
    );
    expect(extended.permission.id).toBe(granted.permission.id);
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'audited' });
    const approved = await exchanges.approve(await stewardPolicy(), x.id, 'fine');
    const delivery = await exchanges.deliver(await policy(requester, ['MEMBER']), x.id);
    expect(delivery.records).toEqual([{ age: '40' }]);
    await permissions.revoke(await stewardPolicy(), approved.permissionId!, 'delivered');
    const y = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'refused' });
    expect(await exchanges.reject(await stewardPolicy(), y.id, 'not now')).toMatchObject({ status: 'REJECTED' });
  });

  it("register a file, change its schema and publish its records: the file's rows commit with their entries", async () => {
    if (skipped()) return;
    const stewardPolicy = () => policy(steward, ['STEWARD']);
    const registered = await directory.registerFile(await stewardPolicy(), {
      code: `aw-${randomBytes(3).toString('hex')}`,
      title: 'Audited registration',
      classification: 'INTERNAL',
      category: 'medical records',
      format: 'table',
      fields: [{ name: 'age', type: 'string', sensitive: false }],
    });
    const changed = await schemas.change(await stewardPolicy(), {
      fileId: registered.id,
      addFields: [{ name: 'clinic', type: 'string' }],
      alterFields: [{ name: 'age', type: 'integer' }],
    });
    expect(changed.schemaVersion).toBe(2);
    const published = await exchanges.publishRecords(await stewardPolicy(), registered.id, [{ age: 40, clinic: 'C1' }]);
    expect(published.version).toBe(1);
    const [entries] = await owner.query(
      `SELECT array_agg(action ORDER BY seq) AS actions FROM audit_entry WHERE subject_type = 'DataFile' AND subject_id = $1`,
      [registered.id],
    );
    expect(entries.actions).toEqual(['file.registered', 'file.schema_changed', 'records.published']);
  });

  it("a schema change holds a grant for review and the grant's re-approval releases it: both commit with their entries", async () => {
    if (skipped()) return;
    const stewardPolicy = () => policy(steward, ['STEWARD']);
    const changed = await schemas.change(await stewardPolicy(), { fileId: reviewFile.id, alterFields: [{ name: 'age', type: 'integer' }] });
    expect(changed.grantsHeld).toBe(1);
    await permissions.reapprove(await stewardPolicy(), reviewed, reviewFile.id, 'checked');
    const [reviews] = await owner.query(
      `SELECT count(*)::int AS opened, count(resolved_at)::int AS resolved FROM permission_review WHERE permission_id = $1 AND fields = '{age}'`,
      [reviewed],
    );
    expect(reviews).toEqual({ opened: 1, resolved: 1 });
  });

  it('an approval that meets an identical grant decided on older versions records the new ones, with an entry about the grant', async () => {
    if (skipped()) return;
    const stewardPolicy = () => policy(steward, ['STEWARD']);
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['visit_date'], purpose: 'reused' });
    // The same grant made directly while the request waits, then a publication moves the file on.
    const { permission } = await permissions.grant(await stewardPolicy(), {
      fileId: file.id,
      granteeDepartmentCode: requester.code,
      actions: ['EXCHANGE'],
      fields: ['visit_date'],
      purpose: 'reused',
    });
    const { version } = await exchanges.publishRecords(await stewardPolicy(), file.id, [{ record_id: 'r3', visit_date: '2026-05-03' }]);
    expect(permission.fileVersion).toBe(version - 1);
    const approved = await exchanges.approve(await stewardPolicy(), x.id, null);
    expect(approved.permissionId).toBe(permission.id);
    const [grant] = await owner.query(`SELECT file_version FROM permission WHERE id = $1`, [permission.id]);
    expect(grant.file_version).toBe(version);
    const entries = await owner.query(
      `SELECT action, payload->'fields' AS fields, payload->'fileVersion' AS "fileVersion"
         FROM audit_entry WHERE subject_type = 'Permission' AND subject_id = $1 ORDER BY seq`,
      [permission.id],
    );
    expect(entries).toEqual([
      { action: 'permission.granted', fields: ['visit_date'], fileVersion: null },
      { action: 'permission.reapproved', fields: [], fileVersion: version },
    ]);
  });
});

describe('a write without its entry is refused at commit', () => {
  const attempts: [string, (grantId: string, exchangeId: string) => string][] = [
    [
      'un-revoking a grant',
      (grantId) => `UPDATE permission SET revoked_at = NULL, revoked_by = NULL, revoke_reason = NULL WHERE id = '${grantId}'`,
    ],
    [
      'adding a grant',
      () =>
        `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, granted_by)
         VALUES ('${file.districtId}', '${file.id}', '${requester.id}', 'EXCHANGE', 'silent', 'nobody@nowhere')`,
    ],
    ['widening an exchange', (_g, exchangeId) => `UPDATE exchange SET fields = ARRAY['age', 'visit_date'] WHERE id = '${exchangeId}'`],
    [
      'rewriting the file versions a grant was decided on',
      (grantId) => `UPDATE permission SET file_version = file_version + 7, schema_version = schema_version + 7 WHERE id = '${grantId}'`,
    ],
  ];

  it.each(attempts)('%s, by a login of the role and by SET ROLE', async (_name, statement) => {
    if (skipped()) return;
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'tampered' });
    const approved = await exchanges.approve(await policy(steward, ['STEWARD']), x.id, null);
    await permissions.revoke(await policy(steward, ['STEWARD']), approved.permissionId!, 'done');
    const pending = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'pending' });
    const snapshot = async () =>
      owner.query(
        `SELECT (SELECT count(*) FROM permission)::int AS grants, (SELECT count(*) FROM audit_entry)::int AS entries,
                          (SELECT revoked_at IS NOT NULL FROM permission WHERE id = $1) AS revoked,
                          (SELECT array[file_version, schema_version] FROM permission WHERE id = $1) AS "decidedOn",
                          (SELECT fields FROM exchange WHERE id = $2) AS fields`,
        [approved.permissionId, pending.id],
      );
    const before = await snapshot();
    const sql = statement(approved.permissionId!, pending.id);
    // Refused at commit for want of an entry, or at once when the change goes backwards (RowsGoForwardOnly).
    const refused = /was written without its audit entry in the same transaction|does not change/;
    await expect(asApp!.query(sql)).rejects.toThrow(refused);
    await expect(
      owner.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        await tx.query(sql);
      }),
    ).rejects.toThrow(refused);
    expect(await snapshot()).toEqual(before);
    // The owner, who could switch the trigger off anyway, is not held to it (seeds and migrations write so).
    await owner.transaction(async (tx) => tx.query(`UPDATE exchange SET purpose = purpose WHERE id = $1`, [pending.id]));
  });
});

describe('grants and exchanges go forward only, whatever entry the write brings', () => {
  /** As the application's role, in one transaction: an entry about the row (one the audited check accepts), then `sql`. */
  const withEntry = (subjectType: string, subjectId: string, sql: string) =>
    asApp!.transaction(async (tx) => {
      await appendAuditEntries(tx, [
        {
          ledger: steward.districtCode,
          actor: 'service:expiry-notices',
          action: subjectType === 'Permission' ? 'permission.expiring' : 'exchange.viewed',
          subjectType,
          subjectId,
          parties: [steward.code],
          payload: { note: 'harmless-looking' },
        },
      ]);
      await tx.query(sql);
    });

  it('a revoked grant is not brought back, nor its shape changed, even beside an entry about it', async () => {
    if (skipped()) return;
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'forward' });
    const approved = await exchanges.approve(await policy(steward, ['STEWARD']), x.id, null);
    const grant = approved.permissionId!;
    await expect(
      withEntry('Permission', grant, `UPDATE permission SET grantee_department_id = '${steward.id}' WHERE id = '${grant}'`),
    ).rejects.toThrow(/a grant's shape does not change/);
    await permissions.revoke(await policy(steward, ['STEWARD']), grant, 'done');
    await expect(
      withEntry(
        'Permission',
        grant,
        `UPDATE permission SET revoked_at = NULL, revoked_by = NULL, revoke_reason = NULL, expires_at = '2099-01-01' WHERE id = '${grant}'`,
      ),
    ).rejects.toThrow(/a revoked grant does not change/);
    const [row] = await owner.query<{ revoked: boolean }[]>(`SELECT revoked_at IS NOT NULL AS revoked FROM permission WHERE id = $1`, [
      grant,
    ]);
    expect(row.revoked).toBe(true);
  });

  it.each([
    ['a delivered exchange back to approved', 'DELIVERED', `status = 'APPROVED', delivered_at = NULL`],
    ['a rejected exchange to approved', 'REJECTED', `status = 'APPROVED'`],
    ['an approval rewritten', 'APPROVED', `decided_by = 'someone else'`],
  ])('%s is refused, even beside an entry about it', async (_name, state, change) => {
    if (skipped()) return;
    const x = await exchanges.request(await policy(requester, ['MEMBER']), {
      fileId: file.id,
      fields: ['age'],
      purpose: `forward ${state}`,
    });
    const stewardPolicy = await policy(steward, ['STEWARD']);
    if (state === 'REJECTED') await exchanges.reject(stewardPolicy, x.id, 'no');
    else await exchanges.approve(stewardPolicy, x.id, null);
    if (state === 'DELIVERED') await exchanges.deliver(await policy(requester, ['MEMBER']), x.id);
    await expect(withEntry('Exchange', x.id, `UPDATE exchange SET ${change} WHERE id = '${x.id}'`)).rejects.toThrow(
      /is not a step forward/,
    );
    const [row] = await owner.query<{ status: string }[]>(`SELECT status FROM exchange WHERE id = $1`, [x.id]);
    expect(row.status).toBe(state);
  });
});

describe('a step forward needs the entry that names it (migration EntriesNameTheirChange)', () => {
  const beside = (subjectType: string, subjectId: string, action: string, sql: string) =>
    asApp!.transaction(async (tx) => {
      await tx.query(sql);
      await appendAuditEntries(tx, [
        { ledger: steward.districtCode, actor: 'someone', action, subjectType, subjectId, parties: [steward.code], payload: { n: 1 } },
      ]);
    });

  it('a revocation, an extension or new file versions beside an entry that says something else are refused at commit', async () => {
    if (skipped()) return;
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'named' });
    const grant = (await exchanges.approve(await policy(steward, ['STEWARD']), x.id, null)).permissionId!;
    for (const [change, named] of [
      [`revoked_at = now(), revoked_by = 'x', revoke_reason = 'quiet'`, 'permission.revoked'],
      [`expires_at = '2099-01-01'`, 'permission.extended'],
      [`file_version = file_version + 1`, 'permission.reapproved'],
    ]) {
      const sql = `UPDATE permission SET ${change} WHERE id = '${grant}'`;
      await expect(beside('Permission', grant, 'permission.expiring', sql)).rejects.toThrow(
        `without its audit entry in the same transaction (${named})`,
      );
    }
    const [row] = await owner.query<{ open: boolean }[]>(
      `SELECT revoked_at IS NULL AND expires_at < '2099-01-01' AS open FROM permission WHERE id = $1`,
      [grant],
    );
    expect(row.open).toBe(true);
    // With the entry that names it, the same revocation commits.
    await beside(
      'Permission',
      grant,
      'permission.revoked',
      `UPDATE permission SET revoked_at = now(), revoked_by = 'x', revoke_reason = 'named' WHERE id = '${grant}'`,
    );
  });

  it('an exchange marked delivered beside another entry is refused at commit', async () => {
    if (skipped()) return;
    const x = await exchanges.request(await policy(requester, ['MEMBER']), { fileId: file.id, fields: ['age'], purpose: 'named delivery' });
    await exchanges.approve(await policy(steward, ['STEWARD']), x.id, null);
    const sql = `UPDATE exchange SET status = 'DELIVERED', delivered_at = now() WHERE id = '${x.id}'`;
    await expect(beside('Exchange', x.id, 'exchange.viewed', sql)).rejects.toThrow(
      /without its audit entry in the same transaction \(exchange\.delivered\)/,
    );
    const [row] = await owner.query<{ status: string }[]>(`SELECT status FROM exchange WHERE id = $1`, [x.id]);
    expect(row.status).toBe('APPROVED');
  });
});

describe('an entry claims only what its transaction wrote (migration EntriesClaimOnlyWhatHappened)', () => {
  const claim = (tx: EntityManager, subjectType: string, subjectId: string, action: string) =>
    appendAuditEntries(tx, [
      { ledger: steward.districtCode, actor: 'someone', action, subjectType, subjectId, parties: [steward.code], payload: { n: 1 } },
    ]);

  it.each([
    ['a revocation of a grant that stays in force', 'Permission', 'permission.revoked'],
    ['a delivery of an exchange still approved', 'Exchange', 'exchange.delivered'],
    ['a rejection of an exchange approved', 'Exchange', 'exchange.rejected'],
  ])('%s is refused at commit, by a login of the role and by SET ROLE', async (_name, subjectType, action) => {
    if (skipped()) return;
    const x = await exchanges.request(await policy(requester, ['MEMBER']), {
      fileId: file.id,
      fields: ['age'],
      purpose: `claimed ${action}`,
    });
    const grant = (await exchanges.approve(await policy(steward, ['STEWARD']), x.id, null)).permissionId!;
    const subject = subjectType === 'Permission' ? grant : x.id;
    const said = /says .* which this transaction did not write/;
    await expect(asApp!.transaction((tx) => claim(tx, subjectType, subject, action))).rejects.toThrow(said);
    await expect(
      owner.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        await claim(tx, subjectType, subject, action);
      }),
    ).rejects.toThrow(said);
    const [entries] = await owner.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_entry WHERE subject_id = $1 AND action = $2`,
      [subject, action],
    );
    expect(entries.n).toBe(0);
  });
});

describe("a file's rows written without an entry are refused", () => {
  /** The owner's view of the file: what a tampering statement could change. */
  const snapshot = () =>
    owner.query(
      `SELECT f.classification, f.version, f.schema_version,
              (SELECT json_agg(json_build_object('name', d.name, 'sensitive', d.sensitive, 'type', d.type) ORDER BY d.position)
                 FROM data_field d WHERE d.district_id = f.district_id AND d.file_id = f.id) AS fields,
              (SELECT count(*)::int FROM data_version v WHERE v.district_id = f.district_id AND v.file_id = f.id) AS versions,
              (SELECT json_agg(r.row ORDER BY r.version, r.row_no) FROM data_record r
                WHERE r.district_id = f.district_id AND r.file_id = f.id) AS records,
              (SELECT count(*)::int FROM audit_entry) AS entries
         FROM data_file f WHERE f.id = $1`,
      [file.id],
    );
  const where = () => `district_id = '${file.districtId}' AND file_id = '${file.id}'`;

  const atCommit: [string, () => string][] = [
    ['reclassifying the file', () => `UPDATE data_file SET classification = 'PUBLIC' WHERE id = '${file.id}'`],
    ['marking a sensitive field not sensitive', () => `UPDATE data_field SET sensitive = false WHERE ${where()} AND name = 'patient_name'`],
    [
      'adding a field',
      () =>
        `INSERT INTO data_field (district_id, file_id, position, name, type) VALUES ('${file.districtId}', '${file.id}', 99, 'x', 'string')`,
    ],
    [
      'adding a version',
      () =>
        `INSERT INTO data_version (district_id, file_id, version, content_hash, row_count, published_by)
         VALUES ('${file.districtId}', '${file.id}', 999, repeat('0', 64), 0, 'nobody')`,
    ],
  ];

  it.each(atCommit)('%s, by a login of the role and by SET ROLE', async (_name, statement) => {
    if (skipped()) return;
    const before = await snapshot();
    await expect(asApp!.query(statement())).rejects.toThrow(/was written without its audit entry in the same transaction/);
    await expect(
      owner.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        await tx.query(statement());
      }),
    ).rejects.toThrow(/was written without its audit entry/);
    expect(await snapshot()).toEqual(before);
  });

  it("resolving a grant's review, which releases its held fields, by a login of the role and by SET ROLE", async () => {
    if (skipped()) return;
    await schemas.change(await policy(steward, ['STEWARD']), {
      fileId: reviewFile.id,
      alterFields: [{ name: 'visit_date', type: 'date' }],
    });
    const open = () =>
      owner.query(`SELECT count(*)::int AS n FROM permission_review WHERE permission_id = $1 AND resolved_at IS NULL`, [reviewed]);
    expect(await open()).toEqual([{ n: 1 }]);
    const sql = `UPDATE permission_review SET resolved_at = now(), resolved_by = 'nobody' WHERE permission_id = '${reviewed}' AND resolved_at IS NULL`;
    await expect(asApp!.query(sql)).rejects.toThrow(/permission_review .* was written without its audit entry/);
    await expect(
      owner.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE exchange_app');
        await tx.query(sql);
      }),
    ).rejects.toThrow(/was written without its audit entry/);
    expect(await open()).toEqual([{ n: 1 }]);
  });

  it('records join only the version published in the same transaction', async () => {
    if (skipped()) return;
    const { version } = await exchanges.publishRecords(await policy(steward, ['STEWARD']), file.id, [
      { record_id: 'r2', age: '41', visit_date: '2026-05-02' },
    ]);
    // A row slipped into the published version afterwards is refused.
    const before = await snapshot();
    await expect(
      asApp!.query(
        `INSERT INTO data_record (district_id, file_id, version, row_no, row)
         VALUES ('${file.districtId}', '${file.id}', ${version}, 1000, '{"age": "99"}')`,
      ),
    ).rejects.toThrow(/records are added only with the version they belong to/);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['deleting a record', () => `DELETE FROM data_record WHERE ${where()}`],
    ['changing a record', () => `UPDATE data_record SET row = '{}' WHERE ${where()}`],
    ['changing a version', () => `UPDATE data_version SET row_count = 0 WHERE ${where()}`],
    ['deleting a field', () => `DELETE FROM data_field WHERE ${where()}`],
    ['deleting the file', () => `DELETE FROM data_file WHERE id = '${file.id}'`],
  ])("%s is not the role's right at all", async (_name, statement) => {
    if (skipped()) return;
    const before = await snapshot();
    await expect(asApp!.query(statement())).rejects.toThrow(/permission denied/);
    expect(await snapshot()).toEqual(before);
  });
});

describe("the API's role seals only entries whose payload the database can check canonically", () => {
  const append = (payload: Record<string, unknown>) =>
    asApp!.transaction((tx) =>
      appendAuditEntries(tx, [
        { ledger: 'aw-east', actor: 'test', action: 'test.step', subjectType: 'Test', subjectId: 'n', parties: [], payload },
      ]),
    );

  it('a 16-digit number is refused; a 15-digit one is sealed', async () => {
    if (skipped()) return;
    // 2^53 + 1: JavaScript holds it as 2^53, so its text and the jsonb the row keeps need not agree.
    await expect(append({ n: Number.MAX_SAFE_INTEGER + 2 })).rejects.toThrow(/canonical form the database cannot check/);
    const [sealed] = await append({ n: 123456789012345 });
    expect(sealed.payload).toEqual({ n: 123456789012345 });
    // The owner (seeds, migrations) keeps the looser check, and its entry still verifies.
    const [owned] = await owner.transaction((tx) =>
      appendAuditEntries(tx, [
        { ledger: 'aw-east', actor: 'test', action: 'test.step', subjectType: 'Test', subjectId: 'o', parties: [], payload: { n: 1e-7 } },
      ]),
    );
    expect(owned.seq).toBe(sealed.seq + 1);
  });
});
