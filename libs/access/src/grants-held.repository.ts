import type { EntityManager } from 'typeorm';
import { districtCondition, SqlParams, type DistrictScope } from '@app/common';
import { prepared } from '@app/database';
import type { Action, Classification, GrantFacts, HeldFields } from './actions.js';
import { grantInForceSql } from './grant-in-force.js';
import { heldAtSql, reviewsOpenSql } from './reviews.repository.js';

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

/** The permission columns a GrantRow holds besides `held`, read from `p`. */
const GRANT_COLUMNS = [
  'id',
  'district_id',
  'file_id',
  'scope_category',
  'scope_max_classification',
  'action',
  'fields',
  'purpose',
  'granted_by',
  'valid_from',
  'expires_at',
] as const;

/** A GrantRow's columns of permission `p`, with its reviews held at `at` (as heldAtSql takes it), for a select list. */
const grantRowSql = (at: string): string => `${GRANT_COLUMNS.map((c) => `p.${c}`).join(', ')}, ${heldAtSql('p', at)} AS held`;

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
      `SELECT ${grantRowSql('$1')}, p.grantee_department_id AS grantee
         FROM permission p
        WHERE p.grantee_department_id = ${one ? '$2::uuid' : 'ANY($2::uuid[])'} AND ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))}
          AND ${grantInForceSql('p', '$1')}`,
    ),
    p.values,
  );
  for (const row of rows) held.get(row.grantee)?.push(toGrantFacts(row));
  return held;
}

/** The grants a department holds, tagged: the same grants, in the same state, give the same tag. */
export interface TaggedGrants {
  tag: string;
  /** null when `tag` is the one the caller already knew: it holds these grants already. */
  grants: GrantFacts[] | null;
}

type GrantJson = Omit<GrantRow, 'valid_from' | 'expires_at'> & { valid_from: string; expires_at: string | null };

/**
 * The grants a department holds at `at`, in every district (the read fans
 * out), tagged; given the tag it last read (`known`), the caller gets the
 * grants only if the tag differs. A caller that keeps what it built from
 * them reuses it for exactly as long as they are unchanged, while
 * PostgreSQL still decides, on every call, what they are.
 *
 * The tag is the MD5 of the (id, xmin) of each grant in force and of each
 * review open on one: a row's content changes only in a new row version,
 * whose xmin is the writing transaction's, and a transaction's versions
 * become visible together at its commit, so a committed (id, xmin) names one
 * content. That holds within one cluster's history: a failover that loses
 * commits, or a restore, may hand out a transaction id again, so the one
 * column a grant's row is updated in while it stays in force (its expiry,
 * extended by an identical grant) is hashed as well; a revocation takes the
 * grant out of the set. Expiry changes the set in force, and so the tag.
 * Hashing ids and transaction ids costs PostgreSQL a quarter of building the
 * grants' JSON, which it builds only when the tag is new to the caller.
 */
export async function grantsHeldTagged(db: EntityManager, departmentId: string, at: Date, known: string | null): Promise<TaggedGrants> {
  const [row] = await db.query<{ tag: string; grants: GrantJson[] | null }[]>(
    prepared(
      `WITH held AS MATERIALIZED (
         SELECT p.id, p.xmin || '/' || coalesce(p.expires_at::text, '') AS version,
                (SELECT string_agg(r.id || '/' || r.xmin, ',' ORDER BY r.id) FROM permission_review r
                  WHERE ${reviewsOpenSql('p', '$1')}) AS reviews
           FROM permission p
          WHERE p.grantee_department_id = $2::uuid AND ${grantInForceSql('p', '$1')}
       ), tagged AS (
         SELECT md5(coalesce(string_agg(h.id || '/' || h.version || coalesce(' ' || h.reviews, ''), ',' ORDER BY h.id), '')) AS tag
           FROM held h
       )
       SELECT tagged.tag,
              CASE WHEN tagged.tag IS DISTINCT FROM $3 THEN
                (SELECT coalesce(json_agg(json_build_object(${GRANT_COLUMNS.map((c) => `'${c}', p.${c}`).join(', ')}, 'held', ${heldAtSql('p', '$1')})), '[]'::json)
                   FROM permission p
                  WHERE p.grantee_department_id = $2::uuid AND ${grantInForceSql('p', '$1')})
              END AS grants
         FROM tagged`,
    ),
    [at, departmentId, known],
  );
  const grants =
    row.grants?.map((g) =>
      toGrantFacts({ ...g, valid_from: new Date(g.valid_from), expires_at: g.expires_at === null ? null : new Date(g.expires_at) }),
    ) ?? null;
  return { tag: row.tag, grants };
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
    `SELECT t.at AS held_at, ${grantRowSql('t.at')}
       FROM unnest($2::timestamptz[]) AS t(at)
       JOIN permission p ON p.grantee_department_id = $1 AND ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))}
                        AND ${grantInForceSql('p', 't.at')}`,
    p.values,
  );
  for (const row of rows) held.get(row.held_at.getTime())?.push(toGrantFacts(row));
  return held;
}
