import type { EntityManager } from 'typeorm';
import type { Action, Classification, GrantFacts } from './actions.js';
import { grantInForceSql } from './grant-in-force.js';

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

/** The grants a department holds at an instant. */
export async function grantsHeldAt(db: EntityManager, departmentId: string, at: Date): Promise<GrantFacts[]> {
  const rows = await db
    .createQueryBuilder()
    .select(
      'p.id, p.district_id, p.file_id, p.scope_category, p.scope_max_classification, p.action, p.fields, p.purpose, p.granted_by, p.valid_from, p.expires_at',
    )
    .from('permission', 'p')
    .where('p.grantee_department_id = :department', { department: departmentId })
    .andWhere(grantInForceSql('p', 'at'), { at })
    .getRawMany<GrantRow>();
  return rows.map(toGrantFacts);
}
