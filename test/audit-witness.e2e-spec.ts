import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import {
  anchorEvent,
  appendAuditEntries,
  checkpointDocument,
  keyIdOf,
  merkleRoot,
  signCheckpoint,
  type CheckpointData,
  type GraphqlPost,
} from '@app/audit';
import type { DepartmentRef } from '@app/auth';
import { conflictingAnchors, scanAnchors } from '../apps/directory-cli/src/commands/audit-anchors.js';
import { cosignatureMessage, witnessOnce } from '../apps/directory-cli/src/commands/audit-witness.js';
import { createTestDatabase, rewriteLedgerFrom, signAsRogueOperator, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World } from './world.js';

/**
 * The ledger of ledgers and its witness: each district checkpoint is anchored
 * in the platform ledger; a witness keeps the bundle of heads, co-signs what
 * extends it, and raises the alarm when the operator rewrites history.
 */
const run = promisify(execFile);
let database: TestDatabase;
let db: DataSource;
let api: TestApp;
let dept: DepartmentRef;
let auditor: string;
let post: GraphqlPost;

const append = (ledger: string, n: number) =>
  db.transaction((tx) =>
    appendAuditEntries(tx, [
      {
        ledger,
        actor: 'test',
        action: 'test.step',
        subjectType: 'Test',
        subjectId: String(n),
        parties: [dept.code],
        payload: { n },
      },
    ]),
  );
const sign = (ledger: string) => api.gql(auditor, `mutation { signCheckpoint(ledger: "${ledger}") { size rootHash } }`);

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const world = new World(db);
  dept = await world.department('wit-alpha', await world.district('wit'));
  await world.district('wut');
  for (let n = 1; n <= 8; n++) await append(n % 2 ? 'wit' : 'wut', n);
  api = await startTestApp(database);
  auditor = await api.tokenFor(dept, ['AUDITOR']);
  post = async (query, variables) => {
    const res = await api.gql(auditor, query, variables);
    if (res.errors) throw new Error(res.errors[0].message);
    return res.data;
  };
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const operatorKey = () => createPublicKey(api.config.auditKeys.signingKey);

describe('the ledger of ledgers', () => {
  it("anchors every district checkpoint in the platform ledger; the bundle holds each ledger's head and the platform's", async () => {
    const wit: any = await sign('wit');
    await sign('wut');
    await sign('platform');
    const log: any = await api.gql(
      auditor,
      `{ auditLog(ledger: "platform", first: 500) { edges { node { actor action subjectId payload } } } }`,
    );
    const anchors = log.data.auditLog.edges.map((e: any) => e.node).filter((n: any) => n.action === 'checkpoint.anchored');
    expect(anchors.map((a: any) => a.subjectId)).toEqual(['wit/4', 'wut/4']);
    expect(anchors[0]).toMatchObject({
      actor: expect.stringMatching(/^signer:[0-9a-f]{16}$/),
      payload: { ledger: 'wit', size: 4, rootHash: wit.data.signCheckpoint.rootHash },
    });
    const bundle: any = await api.gql(auditor, `{ auditCheckpointBundle { platform { size } ledgers { ledger size } document } }`);
    expect(bundle.errors).toBeUndefined();
    const platformSize = Number(bundle.data.auditCheckpointBundle.platform.size);
    expect(platformSize).toBeGreaterThanOrEqual(19); // 17 onboardings and 2 anchors
    expect(bundle.data.auditCheckpointBundle.ledgers).toEqual([
      { ledger: 'wit', size: '4' },
      { ledger: 'wut', size: '4' },
    ]);
    expect(bundle.data.auditCheckpointBundle.document.platform).toMatchObject({ ledger: 'platform', size: String(platformSize) });
  });
});

describe('a witness and the city-wide root', () => {
  /** The service as the operator might present it: the bundle shows `head` for its ledger. */
  const showing =
    (head: CheckpointData): GraphqlPost =>
    async (query, variables) => {
      const data = (await post(query, variables)) as any;
      if (query.includes('auditCheckpointBundle')) {
        const doc = data.auditCheckpointBundle.document;
        doc.ledgers = doc.ledgers.map((c: { ledger: string }) => (c.ledger === head.ledger ? checkpointDocument(head) : c));
      }
      return data;
    };

  it('co-signs a district head only once the platform checkpoint covers its anchor', async () => {
    const state = await mkdtemp(join(tmpdir(), 'witness-anchors-'));
    expect(await witnessOnce(state, post, [operatorKey()])).toMatchObject({
      code: 0,
      line: expect.stringMatching(/co-signed 3 new heads/),
    });
    const index = JSON.parse(await readFile(join(state, 'anchors.json'), 'utf8'));
    expect(Object.keys(index.anchors)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^wit\/4\/[0-9a-f]{64}$/), expect.stringMatching(/^wut\/4\/[0-9a-f]{64}$/)]),
    );

    // Signed and anchored, but the platform head does not cover the anchor yet: no alarm, no co-signature.
    await append('wut', 100);
    await sign('wut');
    expect(await witnessOnce(state, post, [operatorKey()])).toEqual({
      code: 0,
      line: expect.stringMatching(/co-signed 0 new heads as [0-9a-f]{16}; 1 wait for the platform checkpoint to cover their anchors$/),
    });
    expect(JSON.parse(await readFile(join(state, 'heads.json'), 'utf8')).ledgers).toContainEqual(
      expect.objectContaining({ ledger: 'wut', size: '4' }),
    );
    await sign('platform');
    expect(await witnessOnce(state, post, [operatorKey()])).toMatchObject({
      code: 0,
      line: expect.stringMatching(/co-signed 2 new heads/),
    });
    expect(JSON.parse(await readFile(join(state, 'heads.json'), 'utf8')).ledgers).toContainEqual(
      expect.objectContaining({ ledger: 'wut', size: '5' }),
    );
  });

  it('raises the alarm on a district head, signed by the operator, that the platform ledger never anchored', async () => {
    const hashes = (await db.query<{ hash: string }[]>(`SELECT hash FROM audit_entry WHERE ledger = 'wut' ORDER BY seq LIMIT 3`)).map(
      (r) => r.hash,
    );
    const hidden = signCheckpoint(
      { ledger: 'wut', size: 3, rootHash: merkleRoot(hashes), signedAt: new Date().toISOString() },
      api.config.auditKeys.signingKey,
    );
    const state = await mkdtemp(join(tmpdir(), 'witness-unanchored-'));
    expect(await witnessOnce(state, showing(hidden), [operatorKey()])).toEqual({
      code: 1,
      line: expect.stringMatching(
        /^ALARM unanchored: the head of ledger wut \(size 3, root [0-9a-f]{16}…\) is not anchored in the platform ledger$/,
      ),
    });
    expect(await readFile(join(state, 'alarms.jsonl'), 'utf8')).toMatch(/"kind":"unanchored"/);
    await expect(readFile(join(state, 'heads.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});

describe('a bundle with two heads of one ledger', () => {
  it('raises the split-view alarm, co-signs neither and keeps nothing', async () => {
    const state = await mkdtemp(join(tmpdir(), 'witness-twice-'));
    const hashes = (await db.query<{ hash: string }[]>(`SELECT hash FROM audit_entry WHERE ledger = 'wut' ORDER BY seq LIMIT 2`)).map(
      (r) => r.hash,
    );
    const older = signCheckpoint(
      { ledger: 'wut', size: 2, rootHash: merkleRoot(hashes), signedAt: new Date().toISOString() },
      api.config.auditKeys.signingKey,
    );
    // The older head first: a witness that looked heads up by ledger would check the later one and co-sign both.
    const twice: GraphqlPost = async (query, variables) => {
      const data = (await post(query, variables)) as any;
      if (query.includes('auditCheckpointBundle')) data.auditCheckpointBundle.document.ledgers.unshift(checkpointDocument(older));
      return data;
    };
    expect(await witnessOnce(state, twice, [operatorKey()])).toEqual({
      code: 1,
      line: expect.stringMatching(/^ALARM split-view: the bundle holds 2 heads of ledger wut \(sizes 2, \d+\)$/),
    });
    await expect(readFile(join(state, 'cosignatures.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(state, 'heads.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});

describe('a witness', () => {
  it('co-signs heads that extend what it kept, and raises the alarm on a rewrite (in process and on the command line)', async () => {
    const state = await mkdtemp(join(tmpdir(), 'witness-'));
    const first = await witnessOnce(state, post, [operatorKey()]);
    expect(first).toEqual({
      code: 0,
      line: expect.stringMatching(
        /^ok: 3 ledgers extend what this witness kept; platform size \d+; co-signed 3 new heads as [0-9a-f]{16}$/,
      ),
    });

    for (let n = 9; n <= 12; n++) await append('wit', n);
    await sign('wit');
    await sign('platform');
    expect(await witnessOnce(state, post, [operatorKey()])).toMatchObject({
      code: 0,
      line: expect.stringMatching(/co-signed 2 new heads/),
    });

    // Co-signatures verify with the witness's own key, over the operator's checkpoint message.
    const cosigned = (await readFile(join(state, 'cosignatures.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(cosigned).toHaveLength(5);
    const last = cosigned[4];
    const witnessKey = createPublicKey(await readFile(join(state, 'witness-key.pem'), 'utf8'));
    expect(last.witnessKeyId).toBe(keyIdOf(witnessKey));
    const c = { ...last.checkpoint, size: Number(last.checkpoint.size) };
    expect(verify(null, Buffer.from(cosignatureMessage(c, last.witnessedAt)), witnessKey, Buffer.from(last.cosignature, 'base64'))).toBe(
      true,
    );
    const keptBefore = await readFile(join(state, 'heads.json'), 'utf8');

    // The operator rewrites entry 3 of "wit", recomputes every later hash, drops the later checkpoints and signs again.
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query('ALTER TABLE audit_entry DROP CONSTRAINT IF EXISTS audit_entry_payload_cached');
      await rewriteLedgerFrom(tx, 'wit', 3, { n: 'rewritten' });
      await tx.query(`DELETE FROM audit_checkpoint WHERE ledger = 'wit'`);
    });
    // The service would refuse to sign over the anchor the rewrite broke; an operator holding the key need not ask it.
    expect((await sign('wit')).errors?.[0].message).toMatch(/not signed again/);
    await signAsRogueOperator(db, 'wit', api.config.auditKeys.signingKey);
    await sign('platform');

    const caught = await witnessOnce(state, post, [operatorKey()]);
    expect(caught).toEqual({
      code: 1,
      line: expect.stringMatching(
        /^ALARM rewritten: ledger wit: the signed log today \(size 8 .* does not extend the checkpoint you hold \(size 8|^ALARM split-view: ledger wit: two signed checkpoints of size 8/,
      ),
    });
    expect(await readFile(join(state, 'heads.json'), 'utf8')).toBe(keptBefore);
    expect(await readFile(join(state, 'alarms.jsonl'), 'utf8')).toMatch(/"kind":"(rewritten|split-view)"/);

    // The command line: one line, exit code 1.
    await api.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/graphql`;
    await writeFile(join(state, 'operator.pem'), operatorKey().export({ format: 'pem', type: 'spki' }).toString());
    const cli = await run(
      process.execPath,
      [
        '--import',
        '@swc-node/register/esm-register',
        'apps/directory-cli/src/main.ts',
        'audit:witness',
        '--url',
        url,
        '--state',
        state,
        '--public-key',
        join(state, 'operator.pem'),
        '--token',
        auditor,
        '--once',
      ],
      { env: { ...process.env, NODE_OPTIONS: '' } },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(cli.code).toBe(1);
    expect(cli.stdout.trim().split('\n')).toEqual([expect.stringMatching(/ALARM (rewritten|split-view): ledger wit/)]);
  });
});

describe('two signed histories of one ledger', () => {
  it('the platform ledger anchoring two roots for one size raises the split-view alarm in a fresh witness; an unsigned anchor does not count', async () => {
    const hashes = (await db.query<{ hash: string }[]>(`SELECT hash FROM audit_entry WHERE ledger = 'wut' ORDER BY seq LIMIT 2`)).map(
      (r) => r.hash,
    );
    const anchor = (rootHash: string, signature?: string) => {
      const signed = signCheckpoint(
        { ledger: 'wut', size: 2, rootHash, signedAt: new Date().toISOString() },
        api.config.auditKeys.signingKey,
      );
      return db.transaction((tx) => appendAuditEntries(tx, [anchorEvent({ ...signed, signature: signature ?? signed.signature })]));
    };
    const wutAt2 = async () => {
      const index = await scanAnchors(post, { scanned: 0, anchors: {} }, [operatorKey()]);
      return { ...index, anchors: Object.fromEntries(Object.entries(index.anchors).filter(([key]) => key.startsWith('wut/2/'))) };
    };
    await anchor(merkleRoot(hashes));
    // Anyone who may append can write an anchor entry; without the operator's signature it proves nothing.
    await anchor('cd'.repeat(32), Buffer.alloc(64, 9).toString('base64'));
    expect(Object.keys((await wutAt2()).anchors)).toEqual([`wut/2/${merkleRoot(hashes)}`]);
    expect(conflictingAnchors(await wutAt2())).toBeNull();

    await anchor('ab'.repeat(32));
    expect(conflictingAnchors(await wutAt2())).toBe(
      `the platform ledger anchors two checkpoints of ledger wut at size 2 with different roots (${merkleRoot(hashes).slice(0, 16)}…, ${'ab'.repeat(8)}…)`,
    );
    await sign('platform');
    // A fresh witness (this file's rewrite of "wit" above was signed over its anchors too).
    const state = await mkdtemp(join(tmpdir(), 'witness-split-'));
    expect(await witnessOnce(state, post, [operatorKey()])).toEqual({
      code: 1,
      line: expect.stringMatching(
        /^ALARM split-view: the platform ledger anchors two checkpoints of ledger (wit|wut) at size \d+ with different roots/,
      ),
    });
    await expect(readFile(join(state, 'cosignatures.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
