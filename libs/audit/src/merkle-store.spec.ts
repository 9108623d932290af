import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { appendAuditEntries } from './audit-append.js';
import { AuditRepository } from './audit.repository.js';
import { AuditKeys, AuditService } from './audit.service.js';
import { consistencyProof, inclusionProof, merkleRoot } from './merkle.js';
import { MerkleStore } from './merkle-store.js';

/** Proofs from stored subtree nodes are the proofs of the whole tree, and do read the nodes. */
let database: TestDatabase;
let db: DataSource;
let store: MerkleStore;
let hashes: string[];
const SIZE = 1300;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  const { privateKey } = generateKeyPairSync('ed25519');
  const audit = new AuditService(db, new AuditKeys(privateKey, [createPublicKey(privateKey)]));
  const events = Array.from({ length: SIZE }, (_, n) => ({
    ledger: 'nodes',
    actor: 'a@d',
    action: 'test.step',
    subjectType: 'Test',
    subjectId: String(n),
    parties: ['d'],
    payload: { n },
  }));
  await db.transaction((tx) => appendAuditEntries(tx, events.slice(0, 700)));
  await audit.checkpoint('nodes');
  await db.transaction((tx) => appendAuditEntries(tx, events.slice(700)));
  await audit.checkpoint('nodes');
  hashes = await new AuditRepository(db).hashesAfter('nodes', 0, SIZE);
  store = new MerkleStore(db);
});

afterAll(() => database.drop());

describe('stored Merkle nodes', () => {
  it('are written by the signer for every complete subtree of 256 leaves or more, across checkpoints', async () => {
    const rows = await db.query<{ level: number; n: number }[]>(
      `SELECT level, count(*)::int AS n FROM audit_merkle_node WHERE ledger = 'nodes' GROUP BY level ORDER BY level`,
    );
    expect(rows).toEqual([
      { level: 8, n: 5 },
      { level: 9, n: 2 },
      { level: 10, n: 1 },
    ]);
  });

  it.each([
    [0, SIZE],
    [255, SIZE],
    [256, SIZE],
    [1023, SIZE],
    [1299, SIZE],
    [511, 700],
    [699, 700],
  ])('give the inclusion proof of leaf %i in a tree of %i that the whole tree gives', async (index, size) => {
    expect(await store.inclusionProof('nodes', index, size)).toEqual(inclusionProof(hashes, index, size));
  });

  it.each([
    [1, SIZE],
    [256, SIZE],
    [300, SIZE],
    [700, SIZE],
    [1024, SIZE],
    [1299, SIZE],
    [SIZE, SIZE],
  ])('give the consistency proof from %i to %i, and the root of the first size, that the whole tree gives', async (from, to) => {
    expect(await store.consistency('nodes', from, to)).toEqual({
      proof: consistencyProof(hashes, from, to),
      fromRoot: merkleRoot(hashes, from),
    });
  });

  it('are what a proof is read from: a node changed by the owner changes the proof (so the entries under it were not read)', async () => {
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE audit_merkle_node SET hash = '\\x${'ab'.repeat(32)}' WHERE ledger = 'nodes' AND level = 10 AND idx = 0`);
    });
    const proof = await store.inclusionProof('nodes', 1299, SIZE);
    expect(proof).not.toEqual(inclusionProof(hashes, 1299, SIZE));
    expect(proof).toContain('ab'.repeat(32));
  });
});
