import type { EntityManager } from 'typeorm';

/**
 * A transaction-scoped lock on a file's schema, taken by a schema change
 * (exclusive) and by a grant or an approval on the file (shared): a grant
 * is decided either wholly before a change, which then sees it and holds its
 * touched fields, or wholly after, on the new schema; never on a schema
 * that changes under it. A lock, not a table: the directory writes the
 * schema, access the grants.
 */
export async function lockFileSchema(tx: EntityManager, fileId: string, mode: 'change' | 'decide'): Promise<void> {
  const lock = mode === 'change' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  await tx.query(`SELECT ${lock}(hashtextextended($1, 0))`, [`file-schema:${fileId}`]);
}
