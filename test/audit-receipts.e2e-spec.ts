import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { appendAuditEntries, parsePublicKey, parseReceipt, verifyReceipt } from '@app/audit';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

/** Receipts are self-contained in their `document` field, and reading one never signs or writes. */
let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let member: DepartmentRef;
let auditor: string;

const checkpointRows = async () =>
  (await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_checkpoint WHERE ledger = 'rct'`))[0].n;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  const district = await world.district('rct');
  member = await world.department('rct-alpha', district);
  for (let n = 1; n <= 6; n++) {
    await db.transaction((tx) =>
      appendAuditEntries(tx, [
        {
          ledger: 'rct',
          actor: 'test',
          action: 'test.step',
          subjectType: 'Test',
          subjectId: String(n),
          parties: [member.code],
          payload: { n },
        },
      ]),
    );
  }
  api = await startTestApp(database);
  auditor = await api.tokenFor(member, ['AUDITOR']);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('receipts', () => {
  it('a read never signs: an entry no checkpoint covers yet has a receipt without one, and no row is written', async () => {
    const res: any = await api.gql(
      await api.tokenFor(member),
      `{ auditReceipt(ledger: "rct", seq: "2") { seq checkpoint { size } proof } latestCheckpoint(ledger: "rct") { size } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ auditReceipt: { seq: '2', checkpoint: null, proof: [] }, latestCheckpoint: null });
    expect(await checkpointRows()).toBe(0);
  });

  it('the document field alone is a receipt that verifies offline', async () => {
    await api.gql(auditor, `mutation { signCheckpoint(ledger: "rct") { size } }`);
    expect(await checkpointRows()).toBe(1);
    const keys: any = await api.gql(auditor, `{ auditPublicKeys { publicKeyPem } }`);
    const key = parsePublicKey(keys.data.auditPublicKeys[0].publicKeyPem);
    const res: any = await api.gql(await api.tokenFor(member), `{ auditReceipt(ledger: "rct", seq: "4") { document } }`);
    expect(res.errors).toBeUndefined();
    const kept = JSON.stringify(res.data.auditReceipt.document);
    expect(verifyReceipt(parseReceipt(kept), key)).toEqual({ ok: true });
    // The selection the object itself gives, kept whole: the document is found inside it.
    expect(verifyReceipt(parseReceipt(JSON.stringify(res.data.auditReceipt)), key)).toEqual({ ok: true });
    expect(res.data.auditReceipt.document).toMatchObject({
      seq: '4',
      checkpoint: { ledger: 'rct', size: '6', signedAt: expect.any(String) },
    });
  });
});
