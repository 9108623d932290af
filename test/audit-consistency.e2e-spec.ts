import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource, EntityManager } from 'typeorm';
import {
  appendAuditEntries,
  checkExtends,
  graphqlLogSource,
  keptCheckpoint,
  keptCheckpoints,
  verifyConsistency,
  type LogSource,
} from '@app/audit';
import type { DepartmentRef } from '@app/auth';
import { createTestDatabase, rewriteLedgerFrom, signAsRogueOperator, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

/**
 * A department keeps a receipt; later the operator rewrites history (entry 7
 * changed, every later hash recomputed, later checkpoints deleted, triggers
 * off) and signs the rewritten log. The kept receipt and today's signed head
 * are joined by no consistency proof: audit:consistency raises the alarm.
 */
const run = promisify(execFile);
let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let dept: DepartmentRef;
let auditor: string;
let source: LogSource;

const append = (n: number) =>
  db.transaction((tx) =>
    appendAuditEntries(tx, [
      {
        ledger: 'rw',
        actor: 'test',
        action: 'test.step',
        subjectType: 'Test',
        subjectId: String(n),
        parties: [dept.code],
        payload: { n },
      },
    ]),
  );

async function rewriteFrom(seq: number): Promise<void> {
  await db.transaction(async (tx: EntityManager) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query('ALTER TABLE audit_entry DROP CONSTRAINT IF EXISTS audit_entry_payload_cached');
    await rewriteLedgerFrom(tx, 'rw', seq, { n: seq, rewritten: true });
    await tx.query(`DELETE FROM audit_checkpoint WHERE ledger = 'rw' AND size >= $1`, [seq]);
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  dept = await world.department('rw-alpha', await world.district('rw'));
  for (let n = 1; n <= 10; n++) await append(n);
  api = await startTestApp(database);
  auditor = await api.tokenFor(dept, ['AUDITOR']);
  source = graphqlLogSource(async (query, variables) => {
    const res = await api.gql(auditor, query, variables);
    if (res.errors) throw new Error(res.errors[0].message);
    return res.data;
  });
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const key = () => createPublicKey(api.config.auditKeys.signingKey);

describe('consistency from any size', () => {
  it('proves any earlier size against a signed checkpoint; the proof joins the roots', async () => {
    const signed: any = await api.gql(auditor, `mutation { signCheckpoint(ledger: "rw") { size rootHash } }`);
    const res: any = await api.gql(auditor, `{ auditConsistency(ledger: "rw", fromSize: "3", toSize: "10") { fromRoot toRoot proof } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.auditConsistency.toRoot).toBe(signed.data.signCheckpoint.rootHash);
    expect(
      verifyConsistency(3, 10, res.data.auditConsistency.fromRoot, res.data.auditConsistency.toRoot, res.data.auditConsistency.proof),
    ).toBe(true);
  });
});

describe('a kept receipt against a rewritten history', () => {
  it('extends while the log only grows; after a rewrite and re-signing, the alarm is raised by the library and by the CLI', async () => {
    const receipt: any = await api.gql(await api.tokenFor(dept), `{ auditReceipt(ledger: "rw", seq: "7") { document } }`);
    const kept = JSON.stringify(receipt.data.auditReceipt.document);
    expect(keptCheckpoint(kept)).toMatchObject({ size: 10 });

    for (let n = 11; n <= 14; n++) await append(n);
    await api.gql(auditor, `mutation { signCheckpoint(ledger: "rw") { size } }`);
    expect(await checkExtends(keptCheckpoint(kept), source, [key()])).toMatchObject({ ok: true, current: { size: 14 } });

    // The whole bundle, as a witness or an auditor keeps it, taken before the rewrite.
    const bundle: any = await api.gql(auditor, `{ auditCheckpointBundle { document } }`);
    const keptBundle = JSON.stringify(bundle.data.auditCheckpointBundle);
    const ledgersInBundle = keptCheckpoints(keptBundle).map((c) => c.ledger);
    expect(ledgersInBundle).toContain('rw');

    await rewriteFrom(7);
    // The service refuses to sign over the anchor the rewrite broke; an operator holding the key need not ask it.
    const refused = await api.gql(auditor, `mutation { signCheckpoint(ledger: "rw") { size } }`);
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/not signed again/) });
    expect(await signAsRogueOperator(db, 'rw', api.config.auditKeys.signingKey)).toMatchObject({ size: 14 });
    const verdict = await checkExtends(keptCheckpoint(kept), source, [key()]);
    expect(verdict).toMatchObject({
      ok: false,
      kind: 'rewritten',
      reason: expect.stringMatching(/does not extend the checkpoint you hold \(size 10/),
    });

    // The same through the command line, against the service over HTTP.
    await api.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/graphql`;
    const dir = await mkdtemp(join(tmpdir(), 'consistency-'));
    await writeFile(join(dir, 'kept.json'), kept);
    await writeFile(join(dir, 'key.pem'), key().export({ format: 'pem', type: 'spki' }).toString());
    const cli = (file: string) =>
      run(
        process.execPath,
        [
          '--import',
          '@swc-node/register/esm-register',
          'apps/directory-cli/src/main.ts',
          'audit:consistency',
          file,
          '--url',
          url,
          '--public-key',
          join(dir, 'key.pem'),
          '--token',
          auditor,
        ],
        { env: { ...process.env, NODE_OPTIONS: '' } },
      ).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => e,
      );
    const alarm = await cli(join(dir, 'kept.json'));
    expect(alarm.code).toBe(1);
    expect(alarm.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^ALARM rewritten: ledger rw: the signed log today \(size 14/)]);
    // A kept bundle: one line per ledger, the rewritten one an alarm.
    await writeFile(join(dir, 'bundle.json'), keptBundle);
    const bundled = await cli(join(dir, 'bundle.json'));
    expect(bundled.code).toBe(1);
    const lines = bundled.stdout.trim().split('\n');
    expect(lines).toHaveLength(ledgersInBundle.length);
    // It was taken at size 14, re-signed since with another root: a split view.
    expect(lines).toContainEqual(expect.stringMatching(/^ALARM split-view: ledger rw: two signed checkpoints of size 14/));
    expect(lines.filter((l) => l.startsWith('ok: '))).toHaveLength(ledgersInBundle.length - 1);
  });
});
