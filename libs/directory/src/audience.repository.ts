import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { badInput, decodeCursor, districtCondition, isUuid, namedParameter, toPage, type DistrictScope, type Page } from '@app/common';
import type { DepartmentRef } from '@app/auth';
import type { SqlFragment } from '@app/access';
import type { FileKey } from './directory.types.js';

const DEPARTMENT_COLUMNS = `d.id, d.code, d.name, d.district_id AS "districtId", di.code AS "districtCode"`;

/**
 * Departments by what they may do with one file, and files by what one
 * department may do, under an access condition the access library writes
 * (over `d` and `f`): paged and counted here, where the tables are.
 */
@Injectable()
export class AudienceRepository {
  constructor(private readonly db: DataSource) {}

  /** The departments `condition` admits for the file, by code, a page at a time. */
  async page(file: FileKey, condition: SqlFragment, first: number, after: string | null): Promise<Page<DepartmentRef>> {
    const qb = this.matching(file, condition).select(DEPARTMENT_COLUMNS).innerJoin('district', 'di', 'di.id = d.district_id');
    if (after) {
      const [code, id] = decodeCursor(after, 2);
      if (typeof code !== 'string' || !isUuid(id)) throw badInput('after is not a cursor this service issued for this query');
      qb.andWhere('(d.code, d.id) > (:afterCode, :afterId::uuid)', { afterCode: code, afterId: id });
    }
    const rows = await qb
      .orderBy('d.code')
      .addOrderBy('d.id')
      .limit(first + 1)
      .getRawMany<DepartmentRef>();
    return toPage(rows, first, (d) => [d.code, d.id]);
  }

  async count(file: FileKey, condition: SqlFragment): Promise<number> {
    const { n } = (await this.matching(file, condition).select('count(*)::int', 'n').getRawOne<{ n: number }>())!;
    return n;
  }

  /** How many files `condition` (over `f`) admits in `scope`. */
  async countFiles(scope: DistrictScope, condition: SqlFragment): Promise<number> {
    const qb = this.db.manager.createQueryBuilder().from('data_file', 'f').where(condition.sql, condition.params);
    const { n } = (await qb
      .andWhere(districtCondition(scope, 'f.district_id', namedParameter(qb, 'countDistricts')))
      .select('count(*)::int', 'n')
      .getRawOne<{ n: number }>())!;
    return n;
  }

  private matching(file: FileKey, condition: SqlFragment) {
    return this.db.manager
      .createQueryBuilder()
      .from('data_file', 'f')
      .innerJoin('department', 'd', condition.sql, condition.params)
      .where('f.district_id = :audienceDistrict AND f.id = :audienceFile', { audienceDistrict: file.districtId, audienceFile: file.id });
  }
}
