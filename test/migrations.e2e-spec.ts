import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource, MigrationInterface } from 'typeorm';
import { createDataSource } from '@app/database';
import { districtNew } from '../apps/directory-cli/src/commands/district-new.js';
import { migrations } from '../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { World } from './world.js';

const run = promisify(execFile);
let database: TestDatabase;
let db: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await database.dataSource();
});

afterAll(() => database.drop());

const lastOnboarding = () => {
  // The latest onboarding; schema migrations may follow it in the list.
  const migration = migrations.filter((m) => m.name.startsWith('OnboardDistrict')).at(-1)!;
  return { instance: new migration(), name: migration.name };
};

describe('district onboarding migrations', () => {
  it('the schema, the pilot and 16 districts are migrations, and migration:show lists them all as run', async () => {
    expect(migrations.map((m) => m.name).filter((n) => n.startsWith('OnboardDistrict'))).toHaveLength(17);
    // FORCE_COLOR=0: the CLI would colour its output where it thinks a terminal (or CI) shows it.
    const env = { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0', DATABASE_URL: database.url };
    const { stdout } = await run('npm', ['run', '-s', 'migration:show'], { env });
    const lines = stdout.split('\n').filter((l) => /^\[[X ]\]/.test(l));
    expect(lines).toHaveLength(migrations.length);
    expect(lines.every((l) => l.startsWith('[X]'))).toBe(true);
    expect(stdout).toMatch(/DirectorySchema/);
    expect(stdout).toMatch(/OnboardDistrictYanqing/);
  }, 60_000);

  it('reverts (departments and district gone, the offboarding audited) and re-applies', async () => {
    const { instance } = lastOnboarding();
    // Each step in a transaction of its own, released before the next query (the embedded database has one session).
    const inTransaction = async (step: (runner: ReturnType<DataSource['createQueryRunner']>) => Promise<void>) => {
      const runner = db.createQueryRunner();
      await runner.startTransaction();
      try {
        await step(runner);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
    };
    await inTransaction((runner) => instance.down(runner));
    expect(await db.query(`SELECT 1 FROM district WHERE code = 'yanqing'`)).toEqual([]);
    expect(await db.query(`SELECT 1 FROM department WHERE code LIKE 'yanqing-%'`)).toEqual([]);
    await inTransaction((runner) => instance.up(runner));
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM department WHERE code LIKE 'yanqing-%'`);
    expect(n).toBe(12);
    const actions = await db.query(`SELECT action FROM audit_entry WHERE ledger = 'platform' AND subject_id = 'yanqing' ORDER BY seq`);
    expect(actions.map((r: { action: string }) => r.action)).toEqual(['district.onboarded', 'district.offboarded', 'district.onboarded']);
  });

  it('refuses to revert a district that owns files, and leaves everything as it was', async () => {
    const [dept] = await db.query(
      `SELECT d.id, d.code, d.name, d.district_id AS "districtId", 'yanqing' AS "districtCode" FROM department d WHERE code = 'yanqing-health-commission'`,
    );
    await new World(db).file(dept, 'PUBLIC');
    const { instance } = lastOnboarding();
    const runner = db.createQueryRunner();
    await runner.startTransaction();
    await expect(instance.down(runner)).rejects.toThrow(/foreign key/);
    await runner.rollbackTransaction();
    await runner.release();
    expect(await db.query(`SELECT code FROM district WHERE code = 'yanqing'`)).toEqual([{ code: 'yanqing' }]);
  });
});

describe('district:new', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    await copyFile('migrations/index.ts', join(dir, 'index.ts'));
  });

  let generated: { file: string; className: string };

  it('writes a reviewed migration and registers it in the index', async () => {
    const file = await districtNew({
      dir,
      code: 'xiong-an',
      name: "Xiong'an",
      level: 'county',
      departments: 'Civil Affairs Bureau, Health Commission',
    });
    const source = await readFile(file, 'utf8');
    expect(source).toContain(`'{"code":"xiong-an-health-commission","name":"Xiong\\'an Health Commission"}' +`);
    expect(source).toContain(`'],"level":"county","name":"Xiong\\'an"}';`);
    // Self-contained: its own SQL, and no library code that could change under an applied migration.
    expect(source).toContain('INSERT INTO district');
    expect(source.match(/from '[^']*'/g)).toEqual(["from 'typeorm'"]);
    const index = await readFile(join(dir, 'index.ts'), 'utf8');
    const className = /export class (OnboardDistrictXiongAn\d+)/.exec(source)![1];
    expect(index).toContain(`import { ${className} } from './${file.split('/').pop()!.replace('.ts', '.js')}';`);
    expect(index.trimEnd().endsWith(`  ${className},\n];`)).toBe(true);
    generated = { file, className };
  });

  it('the generated migration runs up, down and up again through TypeORM on a real database', async () => {
    const Migration = ((await import(generated.file)) as Record<string, new () => MigrationInterface>)[generated.className];
    const runner = await createDataSource({
      url: database.url,
      poolSize: 1,
      migrations: [...migrations, Migration],
      applicationName: 'tests',
    }).initialize();
    const state = async () => {
      const [row] = await db.query(
        `SELECT (SELECT level FROM district WHERE code = 'xiong-an') AS level,
                (SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM department WHERE code LIKE 'xiong-an-%') AS departments,
                (SELECT count(*)::int FROM schema_migration WHERE name = $1) AS recorded,
                (SELECT coalesce(array_agg(action ORDER BY seq), '{}') FROM audit_entry WHERE ledger = 'platform' AND subject_id = 'xiong-an') AS audited`,
        [generated.className],
      );
      return row as { level: string | null; departments: string[]; recorded: number; audited: string[] };
    };
    const onboarded = { level: 'county', departments: ['xiong-an-civil-affairs-bureau', 'xiong-an-health-commission'], recorded: 1 };
    try {
      expect(await state()).toEqual({ level: null, departments: [], recorded: 0, audited: [] });
      expect((await runner.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([generated.className]);
      expect(await state()).toEqual({ ...onboarded, audited: ['district.onboarded'] });
      await runner.undoLastMigration({ transaction: 'each' });
      expect(await state()).toEqual({ level: null, departments: [], recorded: 0, audited: ['district.onboarded', 'district.offboarded'] });
      expect((await runner.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([generated.className]);
      expect(await state()).toEqual({ ...onboarded, audited: ['district.onboarded', 'district.offboarded', 'district.onboarded'] });
    } finally {
      await runner.destroy();
    }
  });

  it.each([
    [{ code: 'xiong-an', name: 'Again', departments: 'A' }, /already registered/],
    [{ code: 'Bad Code', name: 'X', departments: 'A' }, /--code must be/],
    [{ code: 'platform', name: 'X', departments: 'A' }, /reserved/],
    [{ code: 'ok-code', name: 'X', departments: ' , ' }, /at least one department/],
    [{ code: 'ok-code', name: 'X', level: 'province', departments: 'A' }, /--level must be/],
  ])('refuses %j', async (options, message) => {
    const before = await readdir(dir);
    await expect(districtNew({ dir, ...options })).rejects.toThrow(message);
    expect(await readdir(dir)).toEqual(before);
  });
});
