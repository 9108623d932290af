/**
 * npm run bench:audit — appends per second under 32 concurrent clients on one
 * ledger and spread over 16, next to the floor (the same rows into a table with
 * the same indexes and constraints, with no chain; same clients, same run),
 * each in a transaction and then, spread over 16 ledgers, in one statement as
 * the exchange steps append; then verification speed over a long ledger. The
 * clients share one pool of DATABASE_POOL_SIZE connections (10 unless set),
 * as the requests of an API process do (and as bench:exchange runs): with a
 * connection each, 34 backends on two cores spent the difference waiting
 * for each other's ledger locks and waking up.
 */
import 'reflect-metadata';
import { generateKeyPairSync, createPublicKey, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendAuditEntries,
  AuditKeys,
  AuditLog,
  AuditRepository,
  AuditService,
  canonicalEntry,
  sealEntry,
  verifyConsistency,
  verifyReceipt,
  type AuditEvent,
  AUDIT_ENTRY_COLUMNS,
} from '@app/audit';
import type { DataSource } from 'typeorm';
import { SqlParams } from '@app/common';
import { createDataSource, DEFAULT_POOL_SIZE } from '@app/database';
import { auditEntryValues } from '@app/testing';
import { fmt, machineSpeed, scratchDatabase } from './bench-database.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const APPENDS_PER_CLIENT = Number(process.env.BENCH_APPENDS ?? 300);
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? DEFAULT_POOL_SIZE);
const VERIFY_ENTRIES = Number(process.env.BENCH_VERIFY_ENTRIES ?? 1_000_000);

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

const event = (ledger: string, n: number): AuditEvent => ({
  ledger,
  actor: `bench@dept-${n % 50}`,
  action: 'exchange.delivered',
  subjectType: 'Exchange',
  subjectId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  parties: [`dept-${n % 50}`, `dept-${(n + 7) % 50}`],
  payload: { fields: ['age', 'visit_date', 'diagnosis_code'], contentHash: 'ab'.repeat(32), version: 3 },
});

async function main() {
  const scratch = await scratchDatabase('bench_audit');
  const db = await createDataSource({ url: scratch.url, poolSize: POOL_SIZE, applicationName: 'bench' }).initialize();
  try {
    // The floor: the same table shape (primary key, UNIQUE (ledger, prev_hash), GIN on parties, CHECKs)
    // and the same rows, inserted with no chain (no lock, no link trigger, no hashing in the database).
    await db.query(`CREATE TABLE plain_entry (LIKE audit_entry INCLUDING ALL)`);
    const total = CLIENTS * APPENDS_PER_CLIENT;

    const run = async (label: string, write: (client: number, i: number) => Promise<unknown>) => {
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let i = 0; i < APPENDS_PER_CLIENT; i++) await write(c, c * APPENDS_PER_CLIENT + i);
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { label, perSecond: total / seconds };
    };

    const plainInsert = (db: { query: DataSource['query'] }, prefix: string, c: number, n: number) => {
      // A real entry's fields and sizes; a random predecessor keeps UNIQUE (ledger, prev_hash) satisfied.
      const e = sealEntry(event(`${prefix}-${c % 16}`, n), n + 1, randomBytes(32).toString('hex'), new Date());
      return db.query(
        // The district the chained rows get from their ledger by trigger (none: the nil id) is given here.
        `INSERT INTO plain_entry (${AUDIT_ENTRY_COLUMNS}, district_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '00000000-0000-0000-0000-000000000000')`,
        auditEntryValues(e),
      );
    };
    const plain = (c: number, n: number) => db.transaction((tx) => plainInsert(tx, 'plain', c, n));
    // As the exchange steps append: the entry in the statement that writes the step, no BEGIN/COMMIT.
    const log = new AuditLog();
    const inStatement = (c: number, n: number) => {
      const params = new SqlParams();
      return db.query(`SELECT a.seq FROM ${log.inStatement([event(`statement-${c % 16}`, n)], params)} a`, params.values);
    };
    // Warm the pool and the plans before measuring.
    await run('warm-up', (c, n) => db.transaction((tx) => appendAuditEntries(tx, [event(`warm-${c % 4}`, n)])));

    const floor = await run('plain INSERT, no chain', plain);
    const oneLedger = await run('chained, 1 ledger', (_c, n) => db.transaction((tx) => appendAuditEntries(tx, [event('one', n)])));
    const sixteen = await run('chained, 16 ledgers', (c, n) =>
      db.transaction((tx) => appendAuditEntries(tx, [event(`spread-${c % 16}`, n)])),
    );
    const floorOne = await run('plain INSERT, 1 statement', (c, n) => plainInsert(db, 'plain-statement', c, n));
    const sixteenOne = await run('chained, 16, 1 statement', inStatement);

    console.log(`\n${machineSpeed()}`);
    console.log(
      `Audit appends: ${CLIENTS} concurrent clients on ${POOL_SIZE} connections, ${fmt(total)} transactions each run, one entry per transaction`,
    );
    console.log(`  in a transaction (BEGIN, the statement, COMMIT):`);
    console.log(`  ${'mode'.padEnd(26)} ${'appends/s'.padStart(10)}   vs floor`);
    for (const r of [floor, oneLedger, sixteen]) {
      console.log(`  ${r.label.padEnd(26)} ${fmt(r.perSecond).padStart(10)}   ${(r.perSecond / floor.perSecond).toFixed(2)}x`);
    }
    console.log(`  in one statement, as an exchange step appends (audit_append_many in the step's own statement):`);
    for (const r of [floorOne, sixteenOne]) {
      console.log(`  ${r.label.padEnd(26)} ${fmt(r.perSecond).padStart(10)}   ${(r.perSecond / floorOne.perSecond).toFixed(2)}x`);
    }

    // A long ledger, written in large batches (the same append, many entries per call).
    process.stdout.write(`\nWriting a ${fmt(VERIFY_ENTRIES)}-entry ledger for verification... `);
    const batch = 20_000;
    for (let written = 0; written < VERIFY_ENTRIES; written += batch) {
      const events = Array.from({ length: Math.min(batch, VERIFY_ENTRIES - written) }, (_, i) => event('long', written + i));
      await db.transaction((tx) => appendAuditEntries(tx, events));
    }
    // As autovacuum would soon after such a load: without statistics the planner would not use the key to page.
    await db.query('ANALYZE audit_entry');
    console.log('done');
    const { privateKey } = generateKeyPairSync('ed25519');
    const publicKey = createPublicKey(privateKey);
    const audit = new AuditService(db, new AuditKeys(privateKey, [publicKey]));
    const signStarted = process.hrtime.bigint();
    await audit.checkpoint('long');
    console.log(
      `First checkpoint of the whole ledger (the database recomputes the root and stores its subtrees): ${seconds(signStarted).toFixed(1)} s`,
    );
    const started = process.hrtime.bigint();
    const result = await audit.verifyLedger('long');
    const verifySeconds = seconds(started);
    console.log(
      `Verification on ${availableParallelism()} connections at once: ${fmt(result.checked)} entries in ${verifySeconds.toFixed(1)} s = ${fmt(result.checked / verifySeconds)} entries/s (ok: ${result.ok}, checkpoints: ${result.checkpointsChecked})`,
    );
    const oneStarted = process.hrtime.bigint();
    const one = await audit.verifyLedger('long', undefined, { connections: 1 });
    const oneSeconds = seconds(oneStarted);
    console.log(`Verification on one connection: ${oneSeconds.toFixed(1)} s = ${fmt(one.checked / oneSeconds)} entries/s (ok: ${one.ok})`);

    // Proofs at this size: O(log n) stored nodes, whatever the length. Median of 7, the first one included.
    const repository = new AuditRepository(db);
    const size = result.checked;
    const median = async (run: (i: number) => Promise<boolean>) => {
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t = process.hrtime.bigint();
        if (!(await run(i))) throw new Error('a proof did not verify');
        times.push(seconds(t) * 1000);
      }
      return times.sort((a, b) => a - b)[3];
    };
    const receiptMs = await median(async (i) => {
      const entry = (await repository.entry('long', Math.max(1, Math.floor((size * (i + 1)) / 8))))!;
      return verifyReceipt(await audit.receiptFor(entry), publicKey).ok;
    });
    const consistencyMs = await median(async (i) => {
      const c = await audit.consistency('long', Math.max(1, Math.floor((size * (i + 1)) / 9)), size);
      return verifyConsistency(c.fromSize, c.toSize, c.fromRoot, c.toRoot, c.proof);
    });
    console.log(
      `At ${fmt(size)} entries: a receipt (entry, checkpoint, inclusion proof) in ${receiptMs.toFixed(1)} ms; a consistency proof in ${consistencyMs.toFixed(1)} ms`,
    );

    // The floor for verification: sha256sum over the same canonical bytes, as one stream.
    const file = join(tmpdir(), `audit-bench-${process.pid}.jsonl`);
    const out = createWriteStream(file);
    let bytes = 0;
    for await (const rows of repository.stream('long')) {
      const text = rows.map((e) => canonicalEntry(e)).join('\n') + '\n';
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const shaStarted = process.hrtime.bigint();
    execFileSync('sha256sum', [file]);
    const shaSeconds = seconds(shaStarted);
    await rm(file);
    console.log(
      `sha256sum over the same ${fmt(bytes / 1e6)} MB of canonical text: ${shaSeconds.toFixed(2)} s = ${fmt(result.checked / shaSeconds)} entries/s; verification takes ${(verifySeconds / shaSeconds).toFixed(1)}x that`,
    );
  } finally {
    await db.destroy();
    await scratch.drop();
  }
}

await main();
