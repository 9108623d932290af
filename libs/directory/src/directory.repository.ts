import type { DataSource } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import type { DepartmentRow, DistrictRow } from './directory.types.js';

const DISTRICT_COLUMNS = 'id, code, name, level, onboarded_at AS "onboardedAt"';
const DEPARTMENT_COLUMNS = 'd.id, d.code, d.name, d.district_id AS "districtId"';

/** Districts and departments: small reference tables, read often, written by migrations. */
export class DirectoryRepository {
  constructor(private readonly db: DataSource) {}

  async districts(): Promise<DistrictRow[]> {
    return await this.db.query<DistrictRow[]>(`SELECT ${DISTRICT_COLUMNS} FROM district ORDER BY level = 'municipal' DESC, code`);
  }

  async districtsByIds(ids: readonly string[]): Promise<DistrictRow[]> {
    return await this.db.query<DistrictRow[]>(`SELECT ${DISTRICT_COLUMNS} FROM district WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async departments(districtCode?: string | null): Promise<DepartmentRow[]> {
    return await this.db.query<DepartmentRow[]>(
      `SELECT ${DEPARTMENT_COLUMNS} FROM department d JOIN district di ON di.id = d.district_id
        WHERE $1::text IS NULL OR di.code = $1 ORDER BY d.code`,
      [districtCode ?? null],
    );
  }

  async departmentsByIds(ids: readonly string[]): Promise<DepartmentRow[]> {
    return await this.db.query<DepartmentRow[]>(`SELECT ${DEPARTMENT_COLUMNS} FROM department d WHERE d.id = ANY($1::uuid[])`, [ids]);
  }

  async departmentByCode(code: string): Promise<DepartmentRef | null> {
    const rows = await this.db.query<DepartmentRef[]>(
      `SELECT d.id, d.code, d.name, d.district_id AS "districtId", di.code AS "districtCode"
         FROM department d JOIN district di ON di.id = d.district_id WHERE d.code = $1`,
      [code],
    );
    return rows[0] ?? null;
  }

  async districtByCode(code: string): Promise<DistrictRow | null> {
    const rows = await this.db.query<DistrictRow[]>(`SELECT ${DISTRICT_COLUMNS} FROM district WHERE code = $1`, [code]);
    return rows[0] ?? null;
  }
}
