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

/** A department's grants of one district as read at an instant, with how long they hold (see HeldChanges). */
export interface DistrictGrants {
  grants: GrantFacts[];
  /**
   * The first instant after the read at which one of these grants starts or
   * ends, or a review of one opens or is resolved (Infinity for none). Until
   * then the same version names the same grants in force; from then on they
   * may differ with no write to change the version.
   */
  until: number;
}

/** What changed in a department's grants since the versions the caller knows (see grantsHeldChanged). */
export interface HeldChanges {
  /** The MD5 of all the department's versions: the same grants, in the same state, give the same tag. */
  tag: string;
  /** null when `tag` is the one the caller knew: nothing changed. */
  changed: {
    /** The current version of each district that changed: null for one no longer held (its department or district removed). */
    versions: Map<string, string | null>;
    /** The grants of each district that changed, or of every district when the caller knew nothing. */
    districts: Map<string, DistrictGrants>;
  } | null;
}

/** The versions a caller knows: its tag, and the version of each district it read (null: grants read with none). */
export interface KnownVersions {
  tag: string;
  versions: ReadonlyMap<string, string | null>;
}

type GrantJson = Omit<GrantRow, 'valid_from' | 'expires_at'> & { valid_from: string; expires_at: string | null };

/** Known versions as the statement takes them, written once per set kept (a caller keeps a set unchanged). */
const writtenVersions = new WeakMap<ReadonlyMap<string, string | null>, string>();
function versionsJson(versions: ReadonlyMap<string, string | null>): string {
  let json = writtenVersions.get(versions);
  if (json === undefined) writtenVersions.set(versions, (json = JSON.stringify(Object.fromEntries(versions))));
  return json;
}

/**
 * A department's grants at `at` (in every district: the read fans out),
 * read again only where they changed. The department holds a version per
 * district (permission_grantee_version: a random token that triggers replace
 * at the commit of any write to its grants there or to their reviews), and
 * the tag is the MD5 of them all: one index range of a few rows, however
 * many grants the department holds.
 *
 * - Knowing nothing (`known` null), the caller gets every grant, grouped by
 *   district, and every version.
 * - Knowing the tag, it gets nothing more: the grants are unchanged.
 * - Knowing another tag, it gets the districts whose version differs from the
 *   one it knows, with their grants: a grant made in one district is read
 *   with that district's grants, not the department's other 200.
 *
 * A caller that keeps what it built reuses it, within the instants the grants
 * were read for, for exactly as long as they are unchanged, while PostgreSQL
 * still decides, on every call, what they are.
 */
export async function grantsHeldChanged(
  db: EntityManager,
  departmentId: string,
  at: Date,
  known: KnownVersions | null,
): Promise<HeldChanges> {
  const reviewInstants = `(SELECT min(t) FROM permission_review r CROSS JOIN LATERAL (VALUES (r.opened_at), (r.resolved_at)) AS x(t)
                            WHERE r.district_id = p.district_id AND r.permission_id = p.id AND t > $1)`;
  // $3: the known versions as JSON text, parsed only when the tag differs; $4: the known tag. Knowing nothing is a text
  // of its own rather than a parameter: under `$5 OR ...` the generic plan's estimate exceeded a custom one's, which
  // knows the flag, and PostgreSQL planned every request's statement again.
  const everything = known === null;
  const [row] = await db.query<
    {
      tag: string;
      changed: {
        versions: Record<string, string | null>;
        held: Record<string, { grants: GrantJson[]; until: string | null }>;
      } | null;
    }[]
  >(
    prepared(
      `WITH versions AS (
         SELECT v.district_id, v.version FROM permission_grantee_version v WHERE v.grantee_department_id = $2::uuid
       ),
       tagged AS (
         SELECT md5(coalesce(string_agg(v.district_id || '/' || v.version, ',' ORDER BY v.district_id), '')) AS tag FROM versions v
       )
       SELECT tagged.tag,
              CASE WHEN tagged.tag IS DISTINCT FROM $4 THEN (
                WITH stale AS (
                  SELECT coalesce(v.district_id, k.district_id) AS district_id, v.version
                    FROM versions v
                    FULL JOIN (SELECT key::uuid AS district_id, value AS version FROM jsonb_each_text(coalesce($3::text, '{}')::jsonb)) k
                      ON k.district_id = v.district_id
                   ${everything ? '' : 'WHERE v.version::text IS DISTINCT FROM k.version'}
                )
                SELECT json_build_object(
                  'versions', (SELECT coalesce(json_object_agg(s.district_id, s.version), '{}') FROM stale s),
                  'held', (SELECT coalesce(json_object_agg(d.district_id, d.held), '{}') FROM (
                    SELECT p.district_id, json_build_object(
                             'grants', coalesce(json_agg(json_build_object(${GRANT_COLUMNS.map((c) => `'${c}', p.${c}`).join(', ')},
                                                                           'held', ${heldAtSql('p', '$1')}))
                                                  FILTER (WHERE ${grantInForceSql('p', '$1')}), '[]'::json),
                             'until', nullif(least(min(p.valid_from) FILTER (WHERE p.valid_from > $1), min(${grantEndSql('p')}),
                                                   min(${reviewInstants})), 'infinity')) AS held
                      FROM grants_not_ended($2::uuid, $1) p
                     ${everything ? '' : 'WHERE p.district_id IN (SELECT s.district_id FROM stale s)'}
                     GROUP BY p.district_id) d))
              ) END AS changed
         FROM tagged`,
    ),
    [at, departmentId, known ? versionsJson(known.versions) : null, known?.tag ?? null],
  );
  if (!row.changed) return { tag: row.tag, changed: null };
  const districts = new Map<string, DistrictGrants>();
  // A district that changed and holds no grant in force or to come is in `versions` only: it holds none now.
  for (const district of Object.keys(row.changed.versions)) districts.set(district, { grants: [], until: Infinity });
  for (const [district, held] of Object.entries(row.changed.held)) {
    districts.set(district, {
      grants: held.grants.map((g) =>
        toGrantFacts({ ...g, valid_from: new Date(g.valid_from), expires_at: g.expires_at === null ? null : new Date(g.expires_at) }),
      ),
      until: held.until ? new Date(held.until).getTime() : Infinity,
    });
  }
  return { tag: row.tag, changed: { versions: new Map(Object.entries(row.changed.versions)), districts } };
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
