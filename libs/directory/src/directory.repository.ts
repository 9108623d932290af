import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DepartmentRow, DistrictRow } from './directory.types.js';

const DISTRICT_COLUMNS = 'id, code, name, level, onboarded_at AS "onboardedAt"';
const DEPARTMENT_COLUMNS = 'd.id, d.code, d.name, d.district_id AS "districtId"';

/** Districts and departments: small reference tables, read often, written by migrations. */
@Injectable()
export class DirectoryRepository {
  constructor(private readonly db: DataSource) {}

  async districts(): Promise<DistrictRow[]> {
    return await this.db.query<DistrictRow[]>(`SELECT ${DISTRICT_COLUMNS} FROM district ORDER BY level = 'municipal' DESC, code`);
  }

  async departments(districtCode?: string | null): Promise<DepartmentRow[]> {
    return await this.db.query<DepartmentRow[]>(
      `SELECT ${DEPARTMENT_COLUMNS} FROM department d JOIN district di ON di.id = d.district_id
        WHERE $1::text IS NULL OR di.code = $1 ORDER BY d.code`,
      [districtCode ?? null],
    );
  }
}
