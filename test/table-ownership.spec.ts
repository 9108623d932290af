import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_LIBS } from '../eslint.boundaries.js';

/**
 * One owner per table (docs/architecture.md, "Data model"): only the owning
 * library's SQL writes a table, and a library's SQL reads only its own tables,
 * but for the reads listed below. Everything else goes through the owner's
 * service (or a SQL expression the owner writes, such as fileOwnerSql).
 */
const OWNERS: Record<string, string> = {
  district: 'directory',
  department: 'directory',
  data_file: 'directory',
  data_field: 'directory',
  file_listing_version: 'directory',
  permission: 'access',
  permission_review: 'access',
  permission_grantee_version: 'access',
  exchange: 'exchange',
  data_version: 'exchange',
  data_record: 'exchange',
  audit_entry: 'audit',
  audit_checkpoint: 'audit',
  audit_merkle_node: 'audit',
};

/**
 * Reads of another library's tables that remain, each with its reason. Every
 * entry is a debt: the test fails when one is no longer needed, so the list
 * only shrinks.
 */
const FOREIGN_READS: Record<string, string[]> = {};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tables = Object.keys(OWNERS);
const tableAlternation = tables.join('|');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Source without comments, so that prose about a table is not taken for SQL. */
const code = (path: string) =>
  readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');

/** Tables a source file writes and reads, by SQL keyword and by TypeORM query-builder call. */
function tablesIn(source: string): { writes: Set<string>; reads: Set<string> } {
  const writes = new Set<string>();
  const reads = new Set<string>();
  const collect = (pattern: RegExp, into: Set<string>) => {
    for (const m of source.matchAll(pattern)) into.add(m[1]);
  };
  collect(new RegExp(`\\b(?:INSERT\\s+INTO|UPDATE|DELETE\\s+FROM|TRUNCATE)\\s+(${tableAlternation})\\b`, 'gi'), writes);
  collect(new RegExp(`\\b(?:FROM|JOIN)\\s+(${tableAlternation})\\b`, 'gi'), reads);
  collect(new RegExp(`\\.(?:from|innerJoin|leftJoin|join)\\(\\s*'(${tableAlternation})'`, 'g'), reads);
  for (const t of writes) reads.delete(t);
  return { writes, reads };
}

function scan(dir: string) {
  const writes = new Map<string, Set<string>>();
  const reads = new Map<string, Set<string>>();
  for (const path of sourceFiles(dir)) {
    const found = tablesIn(code(path));
    const where = relative(root, path);
    for (const t of found.writes) writes.set(t, (writes.get(t) ?? new Set()).add(where));
    for (const t of found.reads) reads.set(t, (reads.get(t) ?? new Set()).add(where));
  }
  return { writes, reads };
}

// Test support (libs/testing) is left out as specs are: it writes around the owners on purpose, as a forger would.
const libs = readdirSync(join(root, 'libs')).filter((lib) => !TEST_LIBS.includes(lib));

describe('table ownership', () => {
  it('recognises writes and reads in SQL and in the query builder', () => {
    const found = tablesIn(
      "`UPDATE data_file SET version = 1` `INSERT INTO permission (id)` `SELECT 1 FROM district d JOIN department o ON true` qb.from('exchange', 'x')",
    );
    expect([...found.writes].sort()).toEqual(['data_file', 'permission']);
    expect([...found.reads].sort()).toEqual(['department', 'district', 'exchange']);
  });

  it('every table written by a library is written by its owner only', () => {
    const offenders: string[] = [];
    for (const lib of libs) {
      for (const [table, files] of scan(join(root, 'libs', lib, 'src')).writes) {
        if (OWNERS[table] !== lib) offenders.push(`libs/${lib} writes ${table} (owned by libs/${OWNERS[table]}): ${[...files].join(', ')}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('a library reads only its own tables, but for the listed remaining reads', () => {
    const offenders: string[] = [];
    const used: string[] = [];
    for (const lib of libs) {
      for (const [table, files] of scan(join(root, 'libs', lib, 'src')).reads) {
        if (OWNERS[table] === lib) continue;
        if (FOREIGN_READS[lib]?.includes(table)) used.push(`${lib}:${table}`);
        else offenders.push(`libs/${lib} reads ${table} (owned by libs/${OWNERS[table]}): ${[...files].join(', ')}`);
      }
    }
    expect(offenders).toEqual([]);
    // A listed read no longer made is taken off the list.
    expect(used.sort()).toEqual(
      Object.entries(FOREIGN_READS)
        .flatMap(([lib, ts]) => ts.map((t) => `${lib}:${t}`))
        .sort(),
    );
  });

  it('apps write no table: they go through the libraries', () => {
    // The district:new generator writes SQL into the migrations it renders; the schema owner runs them, not the CLI.
    const generator = 'apps/directory-cli/src/district-migration.ts';
    const offenders = readdirSync(join(root, 'apps')).flatMap((app) =>
      [...scan(join(root, 'apps', app)).writes].flatMap(([table, files]) => {
        const running = [...files].filter((f) => f !== generator);
        return running.length ? [`apps/${app} writes ${table}: ${running.join(', ')}`] : [];
      }),
    );
    expect(offenders).toEqual([]);
  });
});
