/**
 * npm run bench:feed — the change feed on the pilot data set (44,000 files,
 * 8,000 grants, their audit entries) on a real PostgreSQL, through the
 * services (no HTTP):
 * - the ledgers' sizes by skip scan against reading every entry (what a new
 *   subscriber, a reconnect and the embedded database's poll ask);
 * - the pull form: a department reading its whole feed from the beginning;
 * - live delivery: BENCH_SUBSCRIBERS departments holding a grant on one file
 *   subscribe in one process; new versions are published through another
 *   connection pool; the time from commit to each subscriber's event.
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AccessService } from '@app/access';
import { AuditKeys, AuditService } from '@app/audit';
import type { Actor } from '@app/auth';
import { ANY_DISTRICT } from '@app/common';
import { createDataSource, DatabaseModule } from '@app/database';
import { DomainModule } from '@app/domain';
import { EventsModule, EventsService } from '@app/events';
import { DirectoryService, PILOT_DEFAULTS, seedPilot } from '@app/directory';
import { AuditRepository } from '../libs/audit/src/audit.repository.js';
import { FEED_ACTION_NAMES, type FeedEvent } from '../libs/events/src/feed-event.js';
import { fmt, percentile, scratchDatabase } from './bench-database.js';
import { domainServices } from './domain-services.js';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 200);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 50);

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function timed<T>(run: () => Promise<T>, times: number): Promise<{ ms: number[]; result: T }> {
  const ms: number[] = [];
  let result!: T;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    result = await run();
    ms.push(performance.now() - started);
  }
  return { ms, result };
}

/** The root of the benchmark's context. */
@Module({})
class FeedBenchModule {}

async function main() {
  const scratch = await scratchDatabase('bench_feed');
  const db = await createDataSource({ url: scratch.url, poolSize: 10, applicationName: 'bench-subscribers' }).initialize();
  const writer = await createDataSource({ url: scratch.url, poolSize: 4, applicationName: 'bench-writer' }).initialize();
  try {
    const seeding = performance.now();
    await seedPilot(db, PILOT_DEFAULTS);
    console.log(`pilot seeded in ${fmt((performance.now() - seeding) / 1000, 1)} s`);
    // The feed as the API wires it: the domain's modules and the events module, over the subscribers' pool.
    const context = await NestFactory.createApplicationContext(
      {
        module: FeedBenchModule,
        imports: [
          DatabaseModule.forDataSource(db),
          DomainModule.forRoot({ keys: new AuditKeys(generateKeyPairSync('ed25519').privateKey, []) }),
          EventsModule,
        ],
      },
      { logger: false },
    );
    const directory = context.get(DirectoryService);
    const access = context.get(AccessService);
    const events = context.get(EventsService);
    const audit = context.get(AuditService);
    const [{ entries }] = await db.query<{ entries: number }[]>(`SELECT count(*)::int AS entries FROM audit_entry`);

    const repository = new AuditRepository(db);
    const scan = await timed(() => repository.ledgers(), 20);
    const skip = await timed(() => repository.tails(), 20);
    console.log(`\nledger sizes over ${fmt(entries)} entries in ${skip.result.length} ledgers (median of 20):`);
    console.log(`  reading every entry (ledgers)   ${fmt(median(scan.ms), 2)} ms`);
    console.log(`  skip scan of the key (tails)    ${fmt(median(skip.ms), 2)} ms`);

    // The department that lost the most grants reads its whole feed, 200 at a time.
    const [busiest] = await db.query<{ code: string }[]>(
      `SELECT d.code FROM permission p JOIN department d ON d.id = p.grantee_department_id
        GROUP BY d.code ORDER BY count(*) FILTER (WHERE p.revoked_at IS NOT NULL) DESC, d.code LIMIT 1`,
    );
    const reader = await access.policyFor({
      subject: 'bench',
      roles: ['MEMBER'],
      department: (await directory.departmentByCode(busiest.code))!,
    });
    const pages: number[] = [];
    let pulled = 0;
    let after: string | null = null;
    for (;;) {
      const started = performance.now();
      const page = await events.page(reader, after, 200);
      pages.push(performance.now() - started);
      pulled += page.items.length;
      after = page.endCursor;
      if (!page.hasNextPage) break;
    }
    const empty = await timed(() => events.page(reader, after, 200), 20);
    const fromStart = await timed(() => audit.entriesAfter(new Map(), FEED_ACTION_NAMES, 500), 5);
    console.log(
      `  the log's feed entries from the beginning, 500 at most: median ${fmt(median(fromStart.ms), 1)} ms (${fromStart.result.length} entries)`,
    );
    console.log(`\npull, ${busiest.code} from the beginning: ${fmt(pulled)} events in ${pages.length} pages of up to 200;`);
    console.log(
      `  per page median ${fmt(median(pages), 1)} ms, max ${fmt(Math.max(...pages), 1)} ms; polling an empty feed ${fmt(median(empty.ms), 2)} ms`,
    );

    // One file of a steward's department; SUBSCRIBERS other departments get READ on it, then subscribe.
    const [target] = await db.query<{ id: string; owner: string }[]>(
      `SELECT f.id, d.code AS owner FROM data_file f JOIN department d ON d.id = f.owner_department_id WHERE f.classification = 'RESTRICTED' ORDER BY f.id LIMIT 1`,
    );
    const others = await db.query<{ id: string; code: string; district_id: string }[]>(
      `SELECT d.id, d.code, d.district_id FROM department d WHERE d.code <> $1 ORDER BY d.code LIMIT $2`,
      [target.owner, SUBSCRIBERS],
    );
    const [file] = await directory.filesByIds(ANY_DISTRICT, [target.id]);
    for (const d of others) {
      await db.query(
        `INSERT INTO permission (district_id, file_id, grantee_department_id, action, purpose, valid_from, granted_by) VALUES ($1, $2, $3, 'READ', 'bench', now() - interval '1 day', 'bench@bench')`,
        [file.districtId, file.id, d.id],
      );
    }
    const arrivals = new Map<number, number[]>(); // version → arrival times
    const streams = others.map((d) => {
      const actor: Actor = {
        subject: 'bench',
        roles: ['MEMBER'],
        department: { id: d.id, code: d.code, name: d.code, districtId: d.district_id, districtCode: '' },
      };
      return events.subscribe(actor, 'file', null);
    });
    const consumers = streams.map(async (stream) => {
      for await (const event of stream as AsyncIterable<FeedEvent>) {
        if (event.version === null) continue;
        const at = arrivals.get(event.version) ?? [];
        at.push(performance.now());
        arrivals.set(event.version, at);
      }
    });
    await sleep(2000); // every subscriber attached and past the log's end
    const writing = await domainServices(writer);
    const publisher = writing.exchanges;
    const steward = await writing.access.policyFor({
      subject: 'bench',
      roles: ['STEWARD'],
      department: (await directory.departmentByCode(target.owner))!,
    });
    const committed = new Map<number, number>();
    for (let i = 0; i < VERSIONS; i++) {
      const published = await publisher.publishRecords(steward, target.id, [{}]);
      committed.set(published.version, performance.now());
      await sleep(20);
    }
    await sleep(2000);
    const latencies: number[] = [];
    let delivered = 0;
    for (const [version, at] of committed) {
      const got = arrivals.get(version) ?? [];
      delivered += got.length;
      for (const t of got) latencies.push(t - at);
    }
    latencies.sort((x, y) => x - y);
    console.log(
      `\nlive: ${fmt(streams.length)} subscribers in one process, ${VERSIONS} versions published through another pool, 20 ms apart:`,
    );
    console.log(`  delivered ${fmt(delivered)} of ${fmt(streams.length * VERSIONS)} events (each subscriber once per version)`);
    console.log(
      `  commit → event p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms, max ${fmt(latencies.at(-1) ?? NaN, 1)} ms`,
    );
    for (const stream of streams) await stream.return?.(undefined);
    await Promise.all(consumers);
    await context.close();
    await writing.close();
  } finally {
    await writer.destroy();
    await db.destroy();
    await scratch.drop();
  }
}

await main();
