/**
 * npm run bench:exchange — full request -> approve -> deliver cycles by 32
 * concurrent clients over four districts, through the services on a real
 * PostgreSQL (no HTTP): cycles per second, p99 per step, and the share of
 * the time spent in the audit append statement (its lock wait included).
 * Each cycle ends with the owner revoking the grant its approval made, so
 * that every request is decided by a steward rather than by an earlier grant.
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { Actor, Role } from '@app/auth';
import { createDataSource } from '@app/database';
import { domainServices } from './domain-services.js';
import { fmt, percentile, scratchDatabase } from './bench-database.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const DISTRICTS = ['dongcheng', 'xicheng', 'chaoyang', 'haidian'];

// Time spent in audit_append statements, measured at the driver and charged to
// the timed step whose work issued it, so that the share printed is taken over
// one set of steps: every timed step, succeeded or failed.
interface StepClock {
  appendNanos: bigint;
}
const currentStep = new AsyncLocalStorage<StepClock>();
let statements = 0;
const { query } = pg.Client.prototype as unknown as { query: (this: pg.Client, ...args: unknown[]) => unknown };
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : '';
  statements += 1;
  const step = currentStep.getStore();
  const result = query.apply(this, args);
  if (step && text.includes('audit_append') && result instanceof Promise) {
    const started = process.hrtime.bigint();
    return result.finally(() => (step.appendNanos += process.hrtime.bigint() - started));
  }
  return result;
} as typeof pg.Client.prototype.query;

async function main() {
  const scratch = await scratchDatabase('bench_exchange');
  const db = await createDataSource({ url: scratch.url, poolSize: CLIENTS + 4, applicationName: 'bench' }).initialize();
  try {
    const { directory, access, exchanges, permissions } = await domainServices(db);
    const actor = async (code: string, roles: Role[]): Promise<Actor> => ({
      subject: 'bench',
      roles,
      department: (await directory.departmentByCode(code))!,
    });

    // In each district the health commission owns a file of 200 published rows.
    const files: { district: string; fileId: string; owner: Actor }[] = [];
    for (const district of DISTRICTS) {
      const owner = await actor(`${district}-health-commission`, ['STEWARD']);
      const policy = await access.policyFor(owner);
      const file = await directory.registerFile(policy, {
        code: 'clinic-visits',
        title: 'Clinic visits',
        classification: 'RESTRICTED',
        category: 'medical records',
        format: 'table',
        fields: ['patient_name', 'age', 'diagnosis_code', 'visit_date', 'clinic', 'insured'].map((name) => ({
          name,
          type: name === 'age' ? 'integer' : name === 'insured' ? 'boolean' : 'string',
          sensitive: name === 'patient_name',
        })),
      });
      const rows = Array.from({ length: 200 }, (_, i) => ({
        patient_name: `P${i}`,
        age: 20 + (i % 60),
        diagnosis_code: `E${i % 90}`,
        visit_date: '2026-05-01',
        clinic: `C${i % 7}`,
        insured: i % 2 === 0,
      }));
      await exchanges.publishRecords(await access.policyFor(owner), file.id, rows);
      files.push({ district, fileId: file.id, owner });
    }
    // One requesting department per client (made here, in the scratch database), each let read the files' catalogue (a request needs READ).
    const requesters: Actor[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const district = DISTRICTS[(c + 1) % DISTRICTS.length];
      const code = `${district}-bench-office-${c}`;
      await db.query(`INSERT INTO department (code, name, district_id) SELECT $1, $1, id FROM district WHERE code = $2`, [code, district]);
      requesters.push(await actor(code, ['MEMBER']));
    }
    for (const f of files) {
      for (const requester of requesters.filter((r) => r.department.districtCode !== f.district)) {
        await permissions.grant(await access.policyFor(f.owner), {
          fileId: f.fileId,
          granteeDepartmentCode: requester.department.code,
          actions: ['READ'],
          purpose: 'benchmark',
        });
      }
    }

    type Step = 'request' | 'approve' | 'deliver' | 'revoke';
    const steps: Record<Step, number[]> = { request: [], approve: [], deliver: [], revoke: [] };
    // Every timed step, whatever its outcome: its time and the append time inside it.
    const spent = {
      request: { stepNanos: 0n, appendNanos: 0n },
      approve: { stepNanos: 0n, appendNanos: 0n },
      deliver: { stepNanos: 0n, appendNanos: 0n },
      revoke: { stepNanos: 0n, appendNanos: 0n },
    };
    const time = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
      const clock: StepClock = { appendNanos: 0n };
      const started = process.hrtime.bigint();
      try {
        const result = await currentStep.run(clock, work);
        steps[step].push(Number(process.hrtime.bigint() - started) / 1e6);
        return result;
      } finally {
        spent[step].stepNanos += process.hrtime.bigint() - started;
        spent[step].appendNanos += clock.appendNanos;
      }
    };
    let cycles = 0;
    let failures = 0;
    statements = 0;
    const until = Date.now() + SECONDS * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      requesters.map(async (requester, c) => {
        let n = 0;
        while (Date.now() < until) {
          const target = files.filter((f) => f.owner.department.districtId !== requester.department.districtId)[n++ % 3];
          try {
            const x = await time('request', async () =>
              exchanges.request(await access.policyFor(requester), {
                fileId: target.fileId,
                fields: ['age', 'diagnosis_code', 'visit_date'],
                purpose: `cycle ${c}-${n}`,
              }),
            );
            const approved = await time('approve', async () => exchanges.approve(await access.policyFor(target.owner), x.id, null));
            await time('deliver', async () => exchanges.deliver(await access.policyFor(requester), x.id));
            // A one-off exchange: the owner revokes the grant the approval made, so the next request needs a steward again.
            await time('revoke', async () => permissions.revoke(await access.policyFor(target.owner), approved.permissionId!, 'delivered'));
            cycles++;
          } catch (error) {
            failures++;
            if (failures < 5) console.error((error as Error).message);
          }
        }
      }),
    );
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `\nExchange cycles (request -> approve -> deliver of 200 rows x 3 fields -> revoke): ${CLIENTS} clients, ${DISTRICTS.length} districts, ${SECONDS} s`,
    );
    console.log(
      `  ${fmt(cycles / wall)} cycles/s (${fmt(cycles)} cycles, ${failures} failed), ${fmt(statements / Math.max(cycles, 1), 1)} statements per cycle`,
    );
    for (const [step, list] of Object.entries(steps)) {
      list.sort((a, b) => a - b);
      console.log(
        `  ${step.padEnd(8)} p50 ${fmt(percentile(list, 50), 1).padStart(7)} ms   p99 ${fmt(percentile(list, 99), 1).padStart(7)} ms`,
      );
    }
    const share = ({ stepNanos, appendNanos }: { stepNanos: bigint; appendNanos: bigint }) =>
      `${((Number(appendNanos) / Number(stepNanos || 1n)) * 100).toFixed(1)} %`;
    const all = Object.values(spent).reduce((x, y) => ({
      stepNanos: x.stepNanos + y.stepNanos,
      appendNanos: x.appendNanos + y.appendNanos,
    }));
    const perStep = Object.entries(spent)
      .map(([step, clock]) => `${step} ${share(clock)}`)
      .join(', ');
    console.log(`  audit append statements (lock wait included): ${share(all)} of the time in the four steps (${perStep})`);
  } finally {
    await db.destroy();
    await scratch.drop();
  }
}

await main();
