/** Every district: for a statement whose caller knows no district. */
export const ANY_DISTRICT = Object.freeze({ anyDistrict: true as const });

/**
 * The districts a statement over district-owned rows may touch. Every
 * repository method over those tables takes one, as a tenant's key is passed
 * everywhere, and writes a known scope into its WHERE (`district_id = $n`), so
 * that a distribution by district routes the statement to those districts'
 * shards. ANY_DISTRICT is said explicitly where no district is known (an id
 * straight from a client, a list that spans districts by design): such a
 * statement fans out.
 */
export type DistrictScope =
  | { readonly districtId: string }
  | { readonly districtIds: readonly string[] }
  /**
   * Those districts of `within` that the statement itself names, by a SQL
   * expression of a uuid[] it computes (none when it is empty); `within` is
   * still written as values, so that the statement stays routable by them.
   */
  | { readonly districtsSql: string; readonly within: DistrictScope }
  | typeof ANY_DISTRICT;

/** The districts of these rows, as one scope. */
export const districtsOf = (rows: readonly { districtId: string }[]): DistrictScope => ({
  districtIds: [...new Set(rows.map((r) => r.districtId))],
});

/**
 * The scope as a condition on `column` (`TRUE` for any district), its value
 * bound through `bind`: SqlParams.bind, or a query builder's named parameter.
 */
export function districtCondition(scope: DistrictScope, column: string, bind: (value: unknown) => string): string {
  if ('districtId' in scope) return `${column} = ${bind(scope.districtId)}::uuid`;
  // One district is written as an equality, which an index is read in the order of (see applyFileFilter).
  if ('districtIds' in scope && scope.districtIds.length === 1) return `${column} = ${bind(scope.districtIds[0])}::uuid`;
  if ('districtIds' in scope) return `${column} = ANY(${bind(scope.districtIds)}::uuid[])`;
  // Tested first alone, so that an empty array skips the scan whole (ANY on a column that follows another in an
  // index is tested entry by entry of the range, which would otherwise be walked to find nothing).
  if ('districtsSql' in scope) {
    const within = districtCondition(scope.within, column, bind);
    return `${within} AND (cardinality(${scope.districtsSql}) > 0 AND ${column} = ANY(${scope.districtsSql}))`;
  }
  return 'TRUE';
}

/** A bind function for districtCondition that binds `value` as the named parameter `name` of a query builder. */
export const namedParameter =
  (qb: { setParameter(name: string, value: unknown): unknown }, name: string) =>
  (value: unknown): string => {
    qb.setParameter(name, value);
    return `:${name}`;
  };
