/**
 * "A grant in force at an instant", written once: started (valid_from ≤ t),
 * not expired (t < expires_at), and not revoked at t (no revocation, or one
 * after t). As SQL for queries and as a function for rows in memory; a test
 * holds the two to the same answer.
 */

/**
 * Now, in whole milliseconds: the precision the service decides and reads
 * instants at (a JavaScript Date). A revocation or a review's resolution
 * written with it takes effect at the millisecond it was made, for a policy
 * decided in that millisecond too (migration AccessInstantsInMilliseconds).
 */
export const NOW_SQL = `date_trunc('milliseconds', now())`;

/** The grant dates the predicate reads. */
export interface GrantPeriod {
  validFrom: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/**
 * The predicate over the permission row `alias`, at the instant bound to the
 * named parameter `at` (TypeORM's `:name`), given as a positional one (`$9`),
 * or read from a column (`t.at`).
 */
export function grantInForceSql(alias: string, at: string): string {
  const t = instantSql(at);
  return `(${alias}.valid_from <= ${t} AND ${grantEndSql(alias)} > ${t})`;
}

/**
 * An instant as SQL: a positional parameter (`$9`), a column (`t.at`) or an
 * expression (`NOW_SQL`) as given, else a named parameter (`:at`).
 */
export const instantSql = (at: string): string => (at.startsWith('$') || at.includes('.') || at.includes('(') ? at : `:${at}`);

/**
 * When a grant stops being in force (its revocation or expiry, the earlier;
 * infinity for neither), as indexed with its grantee (migration
 * GrantInForceIndex): "not ended at t" is then a range of that index, so a
 * department's grants in force are read without its revoked and expired
 * history, however long that grows.
 */
export function grantEndSql(alias: string): string {
  return `least(coalesce(${alias}.revoked_at, 'infinity'::timestamptz), coalesce(${alias}.expires_at, 'infinity'::timestamptz))`;
}

export function grantInForce(grant: GrantPeriod, at: Date): boolean {
  return grant.validFrom.getTime() <= at.getTime() && !grantEnded(grant, at);
}

/** Revoked or expired by `at` (grantEndSql's instant passed): what no review, re-approval or schema change concerns any more (a grant yet to start has not ended). */
export function grantEnded(grant: Omit<GrantPeriod, 'validFrom'>, at: Date): boolean {
  const t = at.getTime();
  return (grant.expiresAt !== null && grant.expiresAt.getTime() <= t) || (grant.revokedAt !== null && grant.revokedAt.getTime() <= t);
}
