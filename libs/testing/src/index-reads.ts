/** Anything that runs SQL: a DataSource, an EntityManager in a transaction. */
interface Queryable {
  query(sql: string): Promise<{ n: string | null }[]>;
}

/**
 * The index entries read from `table`'s indexes so far in the current
 * transaction, as PostgreSQL counts them: what a plan actually walked, which
 * a test can bound without timing anything.
 */
export async function indexEntriesRead(db: Queryable, table: string): Promise<number> {
  const [{ n }] = await db.query(
    `SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) AS n FROM pg_index WHERE indrelid = '${table}'::regclass`,
  );
  return Number(n);
}
