import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * docker-compose.yml mounts its scripts from deploy/ (short bind mounts, read-only) rather than writing
 * them inline (`configs.content`, which needs Compose 2.23.1 and which Compose 1.29 refuses). No Compose
 * runs here, so this reads the file as text: every mounted file exists, the database role's script can be
 * run by the postgres image, and the Citus profile's SQL distributes what docs/scaling.md says it does.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const compose = read('docker-compose.yml');
/** A service's block, as test/audit-privileges.e2e-spec.ts cuts it. */
const service = (name: string) => compose.split(/\n(?= {2}[a-z-]+:\n)/).find((s) => s.startsWith(`  ${name}:`)) ?? '';
/** `- ./deploy/...:/target:ro` lines: [source, target, mode]. */
const mounts = (text: string) => [...text.matchAll(/^\s+- \.\/(deploy\/[^:\s]+):([^:\s]+)(?::(\w+))?$/gm)].map((m) => m.slice(1, 4));

const sql = read('deploy/citus/distribute.sql').replace(/--.*$/gm, '');
const calls = (fn: string) => [
  ...sql.matchAll(new RegExp(`SELECT ${fn}\\('(\\w+)'(?:, '(\\w+)')?(?:, colocate_with => '(\\w+)')?\\);`, 'g')),
];
/** The backquoted names of a bullet of docs/scaling.md's "Distribution by district", up to its first sentence's end. */
function documented(bullet: string): string[] {
  const doc = read('docs/scaling.md');
  const start = doc.indexOf(`- **${bullet}**`);
  expect(start).toBeGreaterThan(-1);
  const sentence = doc.slice(start).split(/\.\s/)[0];
  return [...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]).filter((name) => name !== 'district_id');
}

describe('docker-compose.yml', () => {
  it('writes no file inline: there is no top-level configs (Compose 1.29 refuses configs.content)', () => {
    expect(compose).not.toMatch(/^configs:/m);
    expect(compose).not.toMatch(/^\s+content:/m);
  });

  it('mounts every file it needs from deploy/, read-only, and each exists in the repository', () => {
    const all = mounts(compose);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const [source, , mode] of all) {
      expect(existsSync(join(root, source))).toBe(true);
      expect(mode).toBe('ro');
    }
    expect(mounts(service('postgres'))).toContainEqual([
      'deploy/postgres/10-app-role.sh',
      '/docker-entrypoint-initdb.d/10-app-role.sh',
      'ro',
    ]);
    expect(mounts(service('citus-distribute'))).toContainEqual(['deploy/citus/distribute.sql', '/distribute.sql', 'ro']);
    expect(service('citus-distribute')).toMatch(/command: \[.*"-f", "\/distribute\.sql"\]/);
  });

  it("the database role's script is an executable shell script that reads only the postgres service's environment", () => {
    const path = 'deploy/postgres/10-app-role.sh';
    // The image runs an executable *.sh as its own user, not the file's owner: every execute bit.
    expect(statSync(join(root, path)).mode & 0o111).toBe(0o111);
    const script = read(path);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).not.toContain('$$'); // no escaping left over from when it was written in YAML
    const environment = service('postgres');
    for (const [, variable] of script.matchAll(/\$\{?(\w+)/g)) expect(environment).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
  });

  it("the Citus profile's SQL makes the reference tables and distributes the district-owned ones by district_id, as docs/scaling.md says", () => {
    const reference = calls('create_reference_table').map((m) => m[1]);
    expect(reference).toEqual(['district', 'department']);
    expect(reference).toEqual(documented('Reference tables'));

    const distributed = calls('create_distributed_table');
    expect(distributed.map((m) => m[1]).sort()).toEqual(documented('Distributed, co-located by `district_id`').sort());
    const [first, ...rest] = distributed;
    expect(first[2]).toBe('district_id');
    for (const m of rest) expect([m[2], m[3]]).toEqual(['district_id', first[1]]);
    // Every statement is one of those above or a node of the cluster: none is silently skipped by the patterns.
    const statements = sql.split(';').filter((s) => s.trim());
    const nodes = statements.filter((s) => /SELECT citus_(set_coordinator_host|add_node)\(/.test(s));
    expect(reference.length + distributed.length + nodes.length).toBe(statements.length);
    expect(sql.indexOf('create_reference_table')).toBeLessThan(sql.indexOf('create_distributed_table'));
  });
});
