import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { appendAuditEntries, parsePublicKey, verifyConsistency, verifyReceipt, parseReceipt } from '@app/audit';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let alpha: DepartmentRef;
let beta: DepartmentRef;
let auditor: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  const district = await world.district('aud');
  alpha = await world.department('aud-alpha', district);
  beta = await world.department('aud-beta', district);
  for (let n = 1; n <= 12; n++) {
    await db.transaction((tx) =>
      appendAuditEntries(tx, [
        {
          ledger: 'aud',
          actor: 'test',
          action: 'test.step',
          subjectType: 'Test',
          subjectId: String(n),
          parties: [n % 3 === 0 ? beta.code : alpha.code],
          payload: { n },
        },
      ]),
    );
  }
  api = await startTestApp(database);
  auditor = await api.tokenFor(beta, ['AUDITOR']);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const LOG = `query ($ledger: String!, $after: BigInt, $first: Int) { auditLog(ledger: $ledger, afterSeq: $after, first: $first) { edges { node { seq parties } } pageInfo { hasNextPage } } }`;

describe('reading the log', () => {
  it('auditors page the whole ledger; a department sees only the entries that concern it', async () => {
    const all: any = await api.gql(auditor, LOG, { ledger: 'aud', first: 5, after: '5' });
    expect(all.data.auditLog.edges.map((e: any) => e.node.seq)).toEqual(['6', '7', '8', '9', '10']);
    expect(all.data.auditLog.pageInfo.hasNextPage).toBe(true);
    const mine: any = await api.gql(await api.tokenFor(beta), LOG, { ledger: 'aud', first: 100 });
    expect(mine.data.auditLog.edges.map((e: any) => e.node.seq)).toEqual(['3', '6', '9', '12']);
  });

  it('the platform ledger records the onboarding of every district, and verifies', async () => {
    const log: any = await api.gql(auditor, `{ auditLog(ledger: "platform", first: 500) { edges { node { action subjectId } } } }`);
    const onboarded = log.data.auditLog.edges.filter((e: any) => e.node.action === 'district.onboarded').map((e: any) => e.node.subjectId);
    expect(onboarded).toHaveLength(17);
    expect(onboarded).toEqual(expect.arrayContaining(['beijing', 'dongcheng', 'yanqing']));
    const verified: any = await api.gql(auditor, `{ verifyAuditChain(ledger: "platform") { ok checked } }`);
    expect(verified.data.verifyAuditChain).toEqual({ ok: true, checked: '17' });
  });
});

describe('checkpoints, receipts and consistency', () => {
  it('a receipt verifies offline with the published key; so does the consistency of two checkpoints', async () => {
    const first: any = await api.gql(auditor, `mutation { signCheckpoint(ledger: "aud") { size rootHash keyId } }`);
    expect(first.data.signCheckpoint.size).toBe('12');
    await db.transaction((tx) =>
      appendAuditEntries(tx, [
        {
          ledger: 'aud',
          actor: 'test',
          action: 'test.step',
          subjectType: 'Test',
          subjectId: '13',
          parties: [alpha.code],
          payload: {},
        },
      ]),
    );
    const second: any = await api.gql(auditor, `mutation { signCheckpoint(ledger: "aud") { size rootHash } }`);
    expect(second.data.signCheckpoint.size).toBe('13');

    const keys: any = await api.gql(auditor, `{ auditPublicKeys { keyId publicKeyPem } }`);
    expect(keys.data.auditPublicKeys[0].keyId).toBe(first.data.signCheckpoint.keyId);
    const key = parsePublicKey(keys.data.auditPublicKeys[0].publicKeyPem);

    const receipt: any = await api.gql(
      await api.tokenFor(alpha),
      `{ auditReceipt(ledger: "aud", seq: "4") {
      ledger seq entryHash proof entry { ledger seq occurredAt actor action subjectType subjectId parties payload prevHash hash }
      checkpoint { ledger size rootHash signedAt keyId signature } } }`,
    );
    expect(receipt.errors).toBeUndefined();
    expect(verifyReceipt(parseReceipt(JSON.stringify(receipt.data.auditReceipt)), key)).toEqual({ ok: true });

    const proof: any = await api.gql(
      auditor,
      `{ auditConsistency(ledger: "aud", fromSize: "12", toSize: "13") { fromRoot toRoot proof } }`,
    );
    const c = proof.data.auditConsistency;
    expect([c.fromRoot, c.toRoot]).toEqual([first.data.signCheckpoint.rootHash, second.data.signCheckpoint.rootHash]);
    expect(verifyConsistency(12, 13, c.fromRoot, c.toRoot, c.proof)).toBe(true);
  });

  it.each([
    ['an unknown ledger in the log', `{ auditLog(ledger: "nowhere") { edges { cursor } } }`, 'NOT_FOUND'],
    ['an unknown ledger to verify', `{ verifyAuditChain(ledger: "nowhere") { ok } }`, 'NOT_FOUND'],
    ['a seq past the end', `{ auditReceipt(ledger: "aud", seq: "999") { seq } }`, 'NOT_FOUND'],
    ['a seq of zero', `{ auditReceipt(ledger: "aud", seq: "0") { seq } }`, 'NOT_FOUND'],
    [
      'a consistency proof to a size never signed',
      `{ auditConsistency(ledger: "aud", fromSize: "3", toSize: "11") { proof } }`,
      'NOT_FOUND',
    ],
    ['a malformed seq', `{ auditReceipt(ledger: "aud", seq: "x1") { seq } }`, 'BAD_USER_INPUT'],
  ])('%s: %s', async (_name, query, code) => {
    const res = await api.gql(auditor, query);
    expect(res.errors?.[0].extensions?.code).toBe(code);
  });

  it('only auditors and platform administrators verify; a receipt of an entry about others is NOT_FOUND', async () => {
    const member = await api.tokenFor(alpha);
    expect((await api.gql(member, `{ verifyAuditChain(ledger: "aud") { ok } }`)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const others = await api.gql(member, `{ auditReceipt(ledger: "aud", seq: "3") { seq } }`);
    const missing = await api.gql(member, `{ auditReceipt(ledger: "aud", seq: "3000") { seq } }`);
    expect(others.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(others.errors?.[0].message.replace('3', 'N')).toBe(missing.errors?.[0].message.replace('3000', 'N'));
  });
});
