import type { EntityManager } from 'typeorm';
import { districtCondition, SqlParams, type DistrictScope } from '@app/common';
import { prepared } from '@app/database';
import type { Action, Classification, GrantFacts, HeldFields } from './actions.js';
import { grantInForceSql } from './grant-in-force.js';
import { heldAtSql } from './reviews.repository.js';

interface GrantRow {
  id: string;
  district_id: string;
  file_id: string | null;
  scope_category: string | null;
  scope_max_classification: Classification | null;
  action: Action;
  fields: string[] | null;
  purpose: string;
  granted_by: string;
  valid_from: Date;
  expires_at: Date | null;
  held: HeldFields[] | null;
}

export const toGrantFacts = (r: GrantRow): GrantFacts => ({
  id: r.id,
  districtId: r.district_id,
  fileId: r.file_id,
  scopeCategory: r.scope_category,
  scopeMaxClassification: r.scope_max_classification,
  action: r.action,
  fields: r.fields,
  purpose: r.purpose,
  grantedBy: r.granted_by,
  validFrom: r.valid_from,
  expiresAt: r.expires_at,
  held: r.held ?? [],
});

/**
 * The grants a department holds at an instant, in `scope`: the districts of
 * the files a decision is about, or ANY_DISTRICT for a department's whole
 * access (its grants sit in any district: the read fans out).
 */
export async function grantsHeldAt(db: EntityManager, scope: DistrictScope, departmentId: string, at: Date): Promise<GrantFacts[]> {
  return (await grantsHeldByEachAt(db, scope, [departmentId], at)).get(departmentId) ?? [];
}

/** The grants each of these departments holds at an instant in `scope`, in one query. */
export async function grantsHeldByEachAt(
  db: EntityManager,
  scope: DistrictScope,
  departmentIds: readonly string[],
  at: Date,
): Promise<Map<string, GrantFacts[]>> {
  const held = new Map<string, GrantFacts[]>(departmentIds.map((id) => [id, []]));
  if (departmentIds.length === 0) return held;
  // Every caller's policy is decided by this statement: plain SQL, prepared (no query builder on this path). One
  // department is compared by equality: with ANY(array) the generic plan is priced higher and never chosen.
  const one = departmentIds.length === 1;
  const p = new SqlParams(at, one ? departmentIds[0] : [...departmentIds]);
  const rows = await db.query<(GrantRow & { grantee: string })[]>(
    prepared(
      `SELECT p.id, p.district_id, p.file_id, p.scope_category, p.scope_max_classification, p.action, p.fields, p.purpose,
              p.granted_by, p.valid_from, p.expires_at, ${heldAtSql('p', '$1')} AS held, p.grantee_department_id AS grantee
         FROM permission p
        WHERE p.grantee_department_id = ${one ? '$2::uuid' : 'ANY($2::uuid[])'} AND ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))}
          AND ${grantInForceSql('p', '$1')}`,
    ),
    p.values,
  );
  for (const row of rows) held.get(row.grantee)?.push(toGrantFacts(row));
  return held;
}

/**
 * The grants a department held in `scope` at each of several instants, in one
 * query: for the change feed, which tells a department of changes made while
 * it held a grant. Keyed by the instant's epoch milliseconds.
 */
export async function grantsHeldAtEach(
  db: EntityManager,
  scope: DistrictScope,
  departmentId: string,
  instants: readonly Date[],
): Promise<Map<number, GrantFacts[]>> {
  const held = new Map<number, GrantFacts[]>(instants.map((t) => [t.getTime(), []]));
  if (instants.length === 0) return held;
  const p = new SqlParams(
    departmentId,
    [...held.keys()].map((ms) => new Date(ms).toISOString()),
  );
  const rows = await db.query<(GrantRow & { held_at: Date })[]>(
    `SELECT t.at AS held_at, p.id, p.district_id, p.file_id, p.scope_category, p.scope_max_classification, p.action, p.fields, p.purpose,
            p.granted_by, p.valid_from, p.expires_at, ${heldAtSql('p', 't.at')} AS held
       FROM unnest($2::timestamptz[]) AS t(at)
       JOIN permission p ON p.grantee_department_id = $1 AND ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))}
                        AND ${grantInForceSql('p', 't.at')}`,
    p.values,
  );
  for (const row of rows) held.get(row.held_at.getTime())?.push(toGrantFacts(row));
  return held;
}
