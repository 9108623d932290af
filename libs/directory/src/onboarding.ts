import type { QueryRunner } from 'typeorm';
import { appendAuditEntry, PLATFORM_LEDGER } from '@app/audit';

export type DistrictLevel = 'municipal' | 'district' | 'county';

export interface DistrictSpec {
  code: string;
  name: string;
  level: DistrictLevel;
  departments: { code: string; name: string }[];
}

/**
 * Adds a district and its departments, and records it in the platform ledger
 * within the migration's transaction. Frozen: the onboarding migrations
 * already applied call it, so changing it would change what they do. New
 * onboarding migrations carry their own SQL (district:new).
 */
export async function onboardDistrict(q: QueryRunner, spec: DistrictSpec, migration: string): Promise<void> {
  await q.query(`INSERT INTO district (code, name, level) VALUES ($1, $2, $3)`, [spec.code, spec.name, spec.level]);
  await q.query(
    `INSERT INTO department (code, name, district_id)
     SELECT d.code, d.name, district.id
       FROM jsonb_to_recordset($1::jsonb) AS d(code text, name text), district
      WHERE district.code = $2`,
    [JSON.stringify(spec.departments), spec.code],
  );
  await appendAuditEntry(q.manager, {
    ledger: PLATFORM_LEDGER,
    actor: `migration:${migration}`,
    action: 'district.onboarded',
    subjectType: 'District',
    subjectId: spec.code,
    payload: { ...spec },
  });
}

/**
 * Reverses onboardDistrict. Refused by foreign keys while the district still
 * owns files; the audit log keeps both entries, since it never forgets.
 */
export async function offboardDistrict(q: QueryRunner, code: string, migration: string): Promise<void> {
  await q.query(`DELETE FROM department WHERE district_id = (SELECT id FROM district WHERE code = $1)`, [code]);
  await q.query(`DELETE FROM district WHERE code = $1`, [code]);
  await appendAuditEntry(q.manager, {
    ledger: PLATFORM_LEDGER,
    actor: `migration:${migration}`,
    action: 'district.offboarded',
    subjectType: 'District',
    subjectId: code,
    payload: { code },
  });
}
