import type { EntityManager } from 'typeorm';
import type { Action, Classification, GrantFacts } from './actions.js';

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
});

/** The grants a department holds at an instant; revocation at or before it ends a grant. */
export async function grantsHeldAt(db: EntityManager, departmentId: string, at: Date): Promise<GrantFacts[]> {
  const rows = await db.query<GrantRow[]>(
    `SELECT id, district_id, file_id, scope_category, scope_max_classification, action, fields,
            purpose, granted_by, valid_from, expires_at
       FROM permission p
      WHERE p.grantee_department_id = $1
        AND p.valid_from <= $2 AND (p.expires_at IS NULL OR p.expires_at > $2)
        AND (p.revoked_at IS NULL OR p.revoked_at > $2)`,
    [departmentId, at],
  );
  return rows.map(toGrantFacts);
}
