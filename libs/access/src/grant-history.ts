import type { EntityManager } from 'typeorm';
import { copyRows, transactionConnection } from '@app/database';

/** A grant as a bulk load gives it, with its whole history (validity, revocation), in the table's column names. */
export interface GrantHistoryRow {
  district_id: string;
  id: string;
  file_id: string | null;
  scope_category: string | null;
  scope_max_classification: string | null;
  grantee_department_id: string;
  action: string;
  fields: string[] | null;
  purpose: string;
  valid_from: string;
  expires_at: string | null;
  granted_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

/**
 * A loaded history comes with its files, as they were registered: a grant on
 * a file was decided on its first schema (a scope grant names no file, and
 * no version). The published version at the time is not known: left null.
 */
const DECIDED_ON_FIRST_SCHEMA = 'CASE WHEN file_id IS NOT NULL THEN 1 END';

/**
 * Loads grants with their history in one statement (the pilot data set):
 * rows whose key exists are left alone, so a load can be re-run. Returns the
 * ids inserted now; the caller audits those, in the same transaction.
 */
export async function importGrantHistory(tx: EntityManager, grants: readonly GrantHistoryRow[]): Promise<Set<string>> {
  const inserted = await tx.query<{ id: string }[]>(
    `INSERT INTO permission (district_id, id, file_id, scope_category, scope_max_classification, grantee_department_id,
                             action, fields, purpose, valid_from, expires_at, granted_by, revoked_at, revoked_by, revoke_reason,
                             schema_version)
     SELECT district_id, id, file_id, scope_category, scope_max_classification, grantee_department_id,
            action, fields, purpose, valid_from, expires_at, granted_by, revoked_at, revoked_by, revoke_reason,
            ${DECIDED_ON_FIRST_SCHEMA}
       FROM jsonb_to_recordset($1::jsonb) AS g(district_id uuid, id uuid, file_id uuid, scope_category text,
            scope_max_classification text, grantee_department_id uuid, action text, fields text[], purpose text,
            valid_from timestamptz, expires_at timestamptz, granted_by text, revoked_at timestamptz, revoked_by text,
            revoke_reason text)
     ON CONFLICT (district_id, id) DO NOTHING
     RETURNING id`,
    [JSON.stringify(grants)],
  );
  return new Set(inserted.map((r) => r.id));
}

const GRANT_COLUMNS = [
  'district_id',
  'id',
  'file_id',
  'scope_category',
  'scope_max_classification',
  'grantee_department_id',
  'action',
  'fields',
  'purpose',
  'valid_from',
  'expires_at',
  'granted_by',
  'revoked_at',
  'revoked_by',
  'revoke_reason',
] as const;
const GRANT_STAGE = 'grant_history_stage';

/**
 * importGrantHistory for large loads (the whole city): COPY into a staging
 * table of the transaction's connection, then one insert that leaves rows
 * already there alone. Returns the ids inserted now, for the caller to audit.
 */
export async function copyGrantHistory(tx: EntityManager, grants: readonly GrantHistoryRow[]): Promise<Set<string>> {
  await tx.query(`CREATE TEMP TABLE IF NOT EXISTS ${GRANT_STAGE} (LIKE permission INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
  await copyRows(
    await transactionConnection(tx),
    GRANT_STAGE,
    GRANT_COLUMNS,
    grants.map((g) => GRANT_COLUMNS.map((c) => g[c])),
  );
  const inserted = await tx.query<{ id: string }[]>(
    `INSERT INTO permission (${GRANT_COLUMNS.join(', ')}, schema_version)
     SELECT ${GRANT_COLUMNS.join(', ')}, ${DECIDED_ON_FIRST_SCHEMA} FROM ${GRANT_STAGE}
     ON CONFLICT (district_id, id) DO NOTHING
     RETURNING id`,
  );
  return new Set(inserted.map((r) => r.id));
}
