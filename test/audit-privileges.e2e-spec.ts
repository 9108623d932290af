import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { appendAuditEntries } from '@app/audit';
import { createTestDatabase, withAdminClient, type TestDatabase } from '@app/testing';

/**
 * The API's database role (exchange_app, as docker-compose.yml runs it) can
 * neither switch the audit triggers off nor write checkpoints or entries
 * around the audit functions. Checked over a real login of a member of that
 * role, not by SET ROLE from a superuser.
 */
let database: TestDatabase;
let db: DataSource;
let app: pg.Client | undefined;
const login = `exchange_api_test_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
  await db.transaction((tx) =>
    appendAuditEntries(tx, [
      {
        ledger: 'priv',
        actor: 'test',
        action: 'test.step',
        subjectType: 'Test',
        subjectId: '1',
        parties: [],
        payload: {},
      },
    ]),
  );
  if (database.embedded) return;
  await withAdminClient(process.env.TEST_SERVER_URL!, (c) => c.query(`CREATE ROLE ${login} LOGIN IN ROLE exchange_app`));
  const url = new URL(database.url);
  url.username = login;
  app = new pg.Client({ connectionString: url.toString() });
  await app.connect();
});

afterAll(async () => {
  await app?.end();
  await database?.drop();
  if (!database?.embedded) await withAdminClient(process.env.TEST_SERVER_URL!, (c) => c.query(`DROP ROLE IF EXISTS ${login}`));
});

describe("the API's role", () => {
  it.each([
    ['disable every trigger on the log', `ALTER TABLE audit_entry DISABLE TRIGGER ALL`, /must be owner/],
    ['disable the link trigger', `ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_link`, /must be owner/],
    ['disable the checkpoint triggers', `ALTER TABLE audit_checkpoint DISABLE TRIGGER ALL`, /must be owner/],
    ['drop the link trigger', `DROP TRIGGER audit_entry_link ON audit_entry`, /must be owner/],
    ['switch every trigger off for its session', `SET session_replication_role = replica`, /permission denied/],
    [
      'replace the trigger function',
      `CREATE OR REPLACE FUNCTION audit_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
      /must be owner|permission denied/,
    ],
    [
      'write a checkpoint row',
      `INSERT INTO audit_checkpoint (ledger, size, root_hash, signed_at, key_id, signature, frontier) VALUES ('priv', 1, repeat('a', 64), now(), 'k', 's', '{}')`,
      /permission denied/,
    ],
    [
      'write an entry row',
      `INSERT INTO audit_entry (ledger, seq, occurred_at, actor, action, subject_type, subject_id, payload, prev_hash, hash) VALUES ('priv', 2, now(), 'a', 'b', 'c', 'd', '{}', repeat('a', 64), repeat('b', 64))`,
      /permission denied/,
    ],
    ['change an entry', `UPDATE audit_entry SET actor = 'mallory'`, /permission denied/],
    ['drop the constraint on time precision', `ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_occurred_at_ms`, /must be owner/],
  ])('cannot %s', async (_name, sql, refusal) => {
    if (!app) {
      console.warn('skipped: the embedded database has a single session and no second login');
      return;
    }
    await expect(app.query(sql)).rejects.toThrow(refusal);
  });

  it('is what docker-compose.yml runs the API as; migrations run as the owner, in their own service', () => {
    const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
    const service = (name: string) => compose.split(/\n(?= {2}[a-z-]+:\n)/).find((s) => s.startsWith(`  ${name}:`)) ?? '';
    expect(service('api')).toMatch(/DATABASE_URL: postgres:\/\/exchange_app:/);
    expect(service('api')).toMatch(/MIGRATE_ON_START: "false"/);
    expect(service('api')).not.toMatch(/exchange_owner|MIGRATION_DATABASE_URL/);
    expect(service('migrate')).toMatch(/MIGRATION_DATABASE_URL: postgres:\/\/exchange_owner:/);
    expect(service('api')).toMatch(/migrate:\n\s+condition: service_completed_successfully/);
  });
});
