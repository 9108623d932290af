import { rulesToAST } from '@casl/ability/extra';
import type { DataSource } from 'typeorm';
import { badInput, decodeCursor, isUuid, toPage, type Page } from '@app/common';
import type { DepartmentRef } from '@app/auth';
import { buildAbility, defaultRules } from './ability.factory.js';
import { AccessPolicy } from './access-policy.js';
import { ACTIONS, type Action, type GrantFacts } from './actions.js';
import { GRANT_IN_FORCE_AT_SQL } from './grants.repository.js';
import { conditionToSql, type ConditionNode, type SqlFragment } from './rules-to-sql.js';

/** A department's access as its members have it: what audiences and access counts decide by. */
export function memberPolicy(department: DepartmentRef, grants: GrantFacts[], at: Date): AccessPolicy {
  return new AccessPolicy({ subject: `members of ${department.code}`, roles: ['MEMBER'], department }, grants, at);
}

// Stand-ins for "the department of the row", which no real id or code can equal (NUL never passes the edge).
const ANY_DEPARTMENT_ID = '\u0000department.id';
const ANY_DISTRICT_ID = '\u0000department.district_id';
const ANY_DEPARTMENT: DepartmentRef = {
  id: ANY_DEPARTMENT_ID,
  code: 'the department',
  name: '',
  districtId: ANY_DISTRICT_ID,
  districtCode: 'its district',
};

/**
 * The departments `d` whose members may `action` the file `f` at :aud_at, as
 * SQL. The default rules are CASL's own, built for a stand-in department whose
 * id and district become d's columns when translated (so the rules are never
 * written twice); the grants are those in force on the file or on a scope
 * covering it. Members act as data users, so a grant gives all it says.
 */
export function audienceCondition(action: Action, at: Date): SqlFragment {
  const ast = rulesToAST(
    buildAbility(defaultRules({ subject: 'members', roles: ['MEMBER'], department: ANY_DEPARTMENT })),
    action,
    'DataFile',
  ) as ConditionNode | null;
  const defaults = conditionToSql(
    ast,
    {
      id: 'f.id',
      districtId: 'f.district_id',
      ownerDepartmentId: 'f.owner_department_id',
      classification: 'f.classification',
      category: 'f.category',
      classificationRank: 'classification_rank(f.classification)',
    },
    'aud_',
    { [ANY_DEPARTMENT_ID]: 'd.id', [ANY_DISTRICT_ID]: 'd.district_id' },
  );
  const inForce = GRANT_IN_FORCE_AT_SQL.replaceAll(':at', ':aud_at');
  const grants = `d.id IN (
      SELECT p.grantee_department_id FROM permission p
       WHERE p.district_id = f.district_id AND action_rank(p.action) >= :aud_rank AND ${inForce}
         AND (p.file_id = f.id
              OR (p.file_id IS NULL AND p.scope_category = f.category
                  AND classification_rank(p.scope_max_classification) >= classification_rank(f.classification))))`;
  return { sql: `(${defaults.sql} OR ${grants})`, params: { ...defaults.params, aud_rank: ACTIONS.indexOf(action) + 1, aud_at: at } };
}

const DEPARTMENT_COLUMNS = `d.id, d.code, d.name, d.district_id AS "districtId", di.code AS "districtCode"`;

/** Departments by what they may do with one file, and files by what one department may do: counted in SQL. */
export class AudienceRepository {
  constructor(private readonly db: DataSource) {}

  /** The departments `condition` admits for the file, by code, a page at a time. */
  async page(fileId: string, condition: SqlFragment, first: number, after: string | null): Promise<Page<DepartmentRef>> {
    const qb = this.matching(fileId, condition).select(DEPARTMENT_COLUMNS).innerJoin('district', 'di', 'di.id = d.district_id');
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

  async count(fileId: string, condition: SqlFragment): Promise<number> {
    const { n } = (await this.matching(fileId, condition).select('count(*)::int', 'n').getRawOne<{ n: number }>())!;
    return n;
  }

  /** How many files the policy allows for each action, each counted by PostgreSQL. */
  async filesByAction(policy: AccessPolicy): Promise<Record<Action, number>> {
    const counts = ACTIONS.map((action) => {
      const condition = policy.fileCondition('f', action);
      return this.db.manager
        .createQueryBuilder()
        .from('data_file', 'f')
        .where(condition.sql, condition.params)
        .select('count(*)::int', 'n')
        .getRawOne<{ n: number }>();
    });
    const [discover, read, exchange] = await Promise.all(counts);
    return { DISCOVER: discover!.n, READ: read!.n, EXCHANGE: exchange!.n };
  }

  private matching(fileId: string, condition: SqlFragment) {
    return this.db.manager
      .createQueryBuilder()
      .from('data_file', 'f')
      .innerJoin('department', 'd', condition.sql, condition.params)
      .where('f.id = :audienceFile', { audienceFile: fileId });
  }
}
