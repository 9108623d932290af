import type { EntityManager } from 'typeorm';
import { districtCondition, SqlParams, type DistrictScope } from '@app/common';
import { prepared } from '@app/database';
import type { Action, Classification, GrantFacts, HeldFields } from './actions.js';
import { grantEndSql, grantInForceSql } from './grant-in-force.js';
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
  /**
   * With the grants: the first instant after `at` at which one of the
   * department's grants starts or ends, or a review of one opens or is
   * resolved (null for none). Until then the same tag names the same grants
   * in force; from then on they may differ with no write to change the tag.
   */
  until: Date | null;
}

type GrantJson = Omit<GrantRow, 'valid_from' | 'expires_at'> & { valid_from: string; expires_at: string | null };

/**
 * The grants a department holds at `at`, in every district (the read fans
 * out), tagged; given the tag it last read (`known`), the caller gets the
 * grants only if the tag differs. A caller that keeps what it built from
 * them reuses it, within the instants they were read for (`until`), for
 * exactly as long as they are unchanged, while PostgreSQL still decides, on
 * every call, what they are.
 *
 * The tag is the MD5 of the department's versions (permission_grantee_version,
 * one random token per district it holds grants in), which triggers replace
 * at the commit of any write to its grants or their reviews. The
 * read is one index range of a few rows, however many grants the department
 * holds; the grants themselves, with their reviews, are read and sent as
 * JSON only when the tag is new to the caller.
 */
export async function grantsHeldTagged(db: EntityManager, departmentId: string, at: Date, known: string | null): Promise<TaggedGrants> {
  const reviewInstants = `(SELECT min(t) FROM permission_review r CROSS JOIN LATERAL (VALUES (r.opened_at), (r.resolved_at)) AS x(t)
                            WHERE r.district_id = p.district_id AND r.permission_id = p.id AND t > $1)`;
  const [row] = await db.query<{ tag: string; held: { grants: GrantJson[]; until: string | null } | null }[]>(
    prepared(
      `WITH tagged AS (
         SELECT md5(coalesce(string_agg(v.district_id || '/' || v.version, ',' ORDER BY v.district_id), '')) AS tag
           FROM permission_grantee_version v
          WHERE v.grantee_department_id = $2::uuid
       )
       SELECT tagged.tag,
              CASE WHEN tagged.tag IS DISTINCT FROM $3 THEN
                (SELECT json_build_object(
                          'grants', coalesce(json_agg(json_build_object(${GRANT_COLUMNS.map((c) => `'${c}', p.${c}`).join(', ')},
                                                                        'held', ${heldAtSql('p', '$1')}))
                                               FILTER (WHERE ${grantInForceSql('p', '$1')}), '[]'::json),
                          'until', nullif(least(min(p.valid_from) FILTER (WHERE p.valid_from > $1), min(${grantEndSql('p')}),
                                                min(${reviewInstants})), 'infinity'))
                   FROM permission p
                  WHERE p.grantee_department_id = $2::uuid AND ${grantEndSql('p')} > $1)
              END AS held
         FROM tagged`,
    ),
    [at, departmentId, known],
  );
  const grants =
    row.held?.grants.map((g) =>
      toGrantFacts({ ...g, valid_from: new Date(g.valid_from), expires_at: g.expires_at === null ? null : new Date(g.expires_at) }),
    ) ?? null;
  const until = row.held?.until ? new Date(row.held.until) : null;
  return { tag: row.tag, grants, until };
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
