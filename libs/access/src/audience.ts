import { rulesToAST } from '@casl/ability/extra';
import type { DepartmentRef } from '@app/auth';
import { buildAbility, defaultRules } from './ability.factory.js';
import { AccessPolicy } from './access-policy.js';
import { ACTIONS, type Action, type GrantFacts } from './actions.js';
import { grantInForceSql } from './grant-in-force.js';
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
  const inForce = grantInForceSql('p', 'aud_at');
  const grants = `d.id IN (
      SELECT p.grantee_department_id FROM permission p
       WHERE p.district_id = f.district_id AND action_rank(p.action) >= :aud_rank AND ${inForce}
         AND (p.file_id = f.id
              OR (p.file_id IS NULL AND p.scope_category = f.category
                  AND classification_rank(p.scope_max_classification) >= classification_rank(f.classification))))`;
  return { sql: `(${defaults.sql} OR ${grants})`, params: { ...defaults.params, aud_rank: ACTIONS.indexOf(action) + 1, aud_at: at } };
}
