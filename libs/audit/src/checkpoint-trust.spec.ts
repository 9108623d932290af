import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { createDataSource } from '@app/database';
import { createTestDatabase, rewriteLedgerFrom, type TestDatabase } from '@app/testing';
import { appendAuditEntries } from './audit-append.js';
import { anchorEvent, AuditKeys, AuditService } from './audit.service.js';
import type { AuditEvent } from './hash-chain.js';
import { verifyReceipt } from './receipt.js';

/**
 * A stored checkpoint is trusted only once verified: signed by the key its
 * keyId names, no larger than the ledger, its frontier giving its root. The
 * application role stores checkpoints only through audit_record_checkpoint,
 * which recomputes the root from the entries.
 */
let database: TestDatabase;
let db: DataSource;
let audit: AuditService;
const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);

const event = (ledger: string, n: number): AuditEvent => ({
  ledger,
  actor: 'tester@dept-1',
  action: 'test.appended',
  subjectType: 'Test',
  subjectId: String(n),
  parties: ['dept-1'],
  payload: { n },
});

async function append(ledger: string, count: number): Promise<void> {
  for (let n = 1; n <= count; n++) await db.transaction((tx) => appendAuditEntries(tx, [event(ledger, n)]));
}

const asApp = <T>(run: (tx: EntityManager) => Promise<T>): Promise<T> =>
  db.transaction(async (tx) => {
    await tx.query('SET LOCAL ROLE exchange_app');
    return run(tx);
  });

/** What the owner of the tables could insert: any row at all. */
const forgeRow = (ledger: string, size: number, frontier: string[] = ['ab'.repeat(32)]) =>
  db.query(
    `INSERT INTO audit_checkpoint (ledger, size, root_hash, signed_at, key_id, signature, frontier) VALUES ($1, $2, $3, now(), $4, $5, $6)`,
    [ledger, size, 'ab'.repeat(32), 'deadbeefdeadbeef', Buffer.alloc(64, 7).toString('base64'), frontier],
  );

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  audit = new AuditService(db, new AuditKeys(privateKey, [publicKey]));
});

afterAll(() => database.drop());

describe('the application role and checkpoints', () => {
  beforeAll(() => append('approle', 5));

  it('may not insert a checkpoint row', async () => {
    await expect(
      asApp((tx) =>
        tx.query(
          `INSERT INTO audit_checkpoint (ledger, size, root_hash, signed_at, key_id, signature, frontier) VALUES ('approle', 1000000, repeat('a', 64), now(), 'k', 's', '{}')`,
        ),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it.each([
    ['a size past the ledger', 1_000_000, 'ab'.repeat(32), /outside ledger/],
    ['a root that is not the root of the entries', 5, 'ab'.repeat(32), /is not the root/],
  ])('may not record %s through audit_record_checkpoint', async (_name, size, root, error) => {
    await expect(
      asApp((tx) => tx.query(`SELECT audit_record_checkpoint('approle', 0, $1, $2, now(), 'k', 's')`, [size, root])),
    ).rejects.toThrow(error);
  });

  it('signs through audit_record_checkpoint: the service, run as the application role, stores a checkpoint that verifies', async () => {
    if (database.embedded) {
      console.warn('skipped: the embedded database has a single session, and a second one is needed to sign as another role');
      return;
    }
    // One session, so that SET ROLE holds for every statement the service sends.
    const app = await createDataSource({ url: database.url, poolSize: 1, applicationName: 'tests' }).initialize();
    let signed;
    try {
      await app.query('SET ROLE exchange_app');
      signed = await new AuditService(app, new AuditKeys(privateKey, [publicKey])).checkpoint('approle');
    } finally {
      await app.destroy();
    }
    expect(signed).toMatchObject({ size: 5 });
    expect(await audit.verifyLedger('approle')).toMatchObject({ ok: true, checkpointsChecked: 1 });
  });
});

describe('forged and broken rows are skipped by the signer and reported by verification', () => {
  it('a forged row of size 1,000,000 with a garbage signature: the signer, receipts and latestCheckpoint pass over it', async () => {
    await append('forged', 4);
    await audit.checkpoint('forged');
    await forgeRow('forged', 1_000_000);
    await append('forged', 2); // now 6 entries
    const latest = await audit.latestCheckpoint('forged');
    expect(latest).toMatchObject({ size: 4 });
    const signed = await audit.checkpoint('forged');
    expect(signed).toMatchObject({ size: 6 });
    const entry = (await audit.log({ mayReadWholeLedgers: () => true } as never, 'forged', 5, 1)).items[0].node;
    const receipt = await audit.receiptFor(entry);
    expect(receipt.checkpoint).toMatchObject({ size: 6 });
    expect(verifyReceipt(receipt, publicKey)).toEqual({ ok: true });
    expect(await audit.verifyLedger('forged')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/size 1000000 is not signed by a known key/),
    });
  });

  it('forged rows by the page (150 at the top size, sorting before the real one) are passed over, page after page', async () => {
    await append('many', 3);
    const real = (await audit.checkpoint('many'))!;
    await db.query(
      `INSERT INTO audit_checkpoint (ledger, size, root_hash, signed_at, key_id, signature, frontier)
       SELECT 'many', 3, repeat('ab', 32), now() + interval '1 year', 'deadbeefdeadbeef', 'zz-forged-' || lpad(i::text, 3, '0'), ARRAY[repeat('ab', 32)]
         FROM generate_series(1, 150) i`,
    );
    expect(await audit.latestCheckpoint('many')).toMatchObject({ size: 3, signature: real.signature });
    const entry = (await audit.log({ mayReadWholeLedgers: () => true } as never, 'many', 1, 1)).items[0].node;
    expect(verifyReceipt(await audit.receiptFor(entry), publicKey)).toEqual({ ok: true });
  });

  it('a forged row at the size the signer needs does not block it', async () => {
    await append('squat', 3);
    await forgeRow('squat', 3);
    expect(await audit.checkpoint('squat')).toMatchObject({ size: 3, keyId: expect.not.stringMatching('deadbeef') });
    expect(await audit.checkpointOfSize('squat', 3)).toMatchObject({ size: 3 });
  });

  it('a genuine checkpoint whose frontier was altered is not built on', async () => {
    await append('frontier', 4);
    await audit.checkpoint('frontier');
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE audit_checkpoint SET frontier = ARRAY[repeat('c', 64)] WHERE ledger = 'frontier'`);
    });
    expect(await audit.latestCheckpoint('frontier')).toBeNull();
    await db.transaction((tx) => appendAuditEntries(tx, [event('frontier', 5)]));
    // Rebuilt from the first entry: the altered frontier would have given a wrong root, refused by the database.
    expect(await audit.checkpoint('frontier')).toMatchObject({ size: 5 });
    expect(await audit.latestCheckpoint('frontier')).toMatchObject({ size: 5 });
  });

  it('a checkpoint signed with a known key under another keyId is not trusted', async () => {
    await append('keyid', 2);
    const signed = (await audit.checkpoint('keyid'))!;
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE audit_checkpoint SET key_id = '0000000000000000' WHERE ledger = 'keyid'`);
    });
    expect(signed.keyId).not.toBe('0000000000000000');
    expect(await audit.latestCheckpoint('keyid')).toBeNull();
  });
});

/** What the owner could do with triggers off: anything to the rows, here inside `change`. */
const asOwnerUnchecked = (change: (tx: EntityManager) => Promise<unknown>) =>
  db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await change(tx);
  });
const dropCheckpoints = (tx: EntityManager, ledger: string) =>
  Promise.all([
    tx.query(`DELETE FROM audit_checkpoint WHERE ledger = $1`, [ledger]),
    tx.query(`DELETE FROM audit_merkle_node WHERE ledger = $1`, [ledger]),
  ]);

describe("a district's anchors in the platform ledger outlive its checkpoint rows", () => {
  it('a ledger cut short, its checkpoint rows deleted, fails verification and is not signed again', async () => {
    await append('cut', 6);
    await audit.checkpoint('cut');
    await asOwnerUnchecked(async (tx) => {
      await tx.query(`DELETE FROM audit_entry WHERE ledger = 'cut' AND seq > 3`);
      await dropCheckpoints(tx, 'cut');
    });
    expect(await audit.verifyLedger('cut')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^truncated: .* covers 6 entries, the ledger now has 3$/),
    });
    await expect(audit.checkpoint('cut')).rejects.toThrow(
      /not signed again: the platform ledger anchors a checkpoint of 6 entries and it has 3/,
    );
  });

  it('a ledger emptied the same way fails too', async () => {
    await append('emptied', 2);
    await audit.checkpoint('emptied');
    await asOwnerUnchecked(async (tx) => {
      await tx.query(`DELETE FROM audit_entry WHERE ledger = 'emptied'`);
      await dropCheckpoints(tx, 'emptied');
    });
    expect(await audit.verifyLedger('emptied')).toMatchObject({ ok: false, checked: 0, reason: expect.stringMatching(/^truncated/) });
  });

  it('a ledger rewritten, its checkpoint rows deleted, fails verification and is not signed again', async () => {
    await append('rewritten', 5);
    await audit.checkpoint('rewritten');
    await asOwnerUnchecked(async (tx) => {
      await tx.query(`UPDATE audit_entry SET payload_jcs = NULL WHERE ledger = 'rewritten'`);
      await rewriteLedgerFrom(tx, 'rewritten', 2, { n: 'rewritten' });
      await dropCheckpoints(tx, 'rewritten');
    });
    expect(await audit.verifyLedger('rewritten')).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      reason: expect.stringMatching(/^rewritten: .*size 5/),
    });
    await expect(audit.checkpoint('rewritten')).rejects.toThrow(/not signed again: its entries no longer give the root anchored at size 5/);
  });

  it('an anchor entry no key signed is no evidence: verification passes and the signer signs', async () => {
    await append('junk', 2);
    const junk = { ledger: 'junk', size: 2, rootHash: 'ab'.repeat(32), signedAt: new Date().toISOString(), keyId: 'deadbeefdeadbeef' };
    await db.transaction((tx) => appendAuditEntries(tx, [anchorEvent({ ...junk, signature: Buffer.alloc(64, 7).toString('base64') })]));
    expect(await audit.verifyLedger('junk')).toMatchObject({ ok: true, checked: 2 });
    expect(await audit.checkpoint('junk')).toMatchObject({ size: 2 });
  });

  it('a forged checkpoint row does not hide a fault in the entries', async () => {
    await append('hidden', 3);
    await forgeRow('hidden', 1_000_000);
    await asOwnerUnchecked((tx) =>
      tx.query(`UPDATE audit_entry SET actor = 'someone else', payload_jcs = NULL WHERE ledger = 'hidden' AND seq = 2`),
    );
    expect(await audit.verifyLedger('hidden')).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      reason: expect.stringMatching(/^hash-mismatch/),
    });
  });
});
