import { subject } from '@casl/ability';
import { rulesToAST } from '@casl/ability/extra';
import type { LedgerReader } from '@app/audit';
import type { Actor } from '@app/auth';
import { ANY_DISTRICT, districtCondition, type DistrictScope } from '@app/common';
import { ACTIONS, CLASSIFICATIONS, type Action, type FileFacts, type GrantFacts } from './actions.js';
import {
  asSubject,
  highestGrantedAction,
  type AccessRule,
  type AppAbility,
  type Capability,
  type GrantSubject,
} from './ability.factory.js';
import { AccessRules } from './access-rules.js';
import { conditionToSql, type ConditionNode, type SqlFragment } from './rules-to-sql.js';
import { grantInForceSql } from './grant-in-force.js';

export interface FieldFacts {
  name: string;
  sensitive: boolean;
}

/** A field as a file's catalogue describes it. */
export interface CatalogueFieldFacts extends FieldFacts {
  type: string;
  description: string | null;
}

/** A field of a file's catalogue, and whether the caller could obtain its values. */
export type CatalogueField<F extends CatalogueFieldFacts = CatalogueFieldFacts> = Pick<F, keyof CatalogueFieldFacts> & {
  obtainable: boolean;
};

/** The fields a grant holds for review on one file. */
function heldOn(grant: GrantFacts | undefined, fileId: string): Set<string> {
  return new Set((grant?.held ?? []).filter((h) => h.fileId === fileId).flatMap((h) => h.fields));
}

/** How an explanation says that a grant awaits review on this file: which fields, since which schema version. */
function reviewNote(grant: GrantFacts | undefined, fileId: string): string {
  const reviews = (grant?.held ?? []).filter((h) => h.fileId === fileId);
  if (reviews.length === 0) return '';
  const fields = [...new Set(reviews.flatMap((h) => h.fields))].sort();
  const since = Math.min(...reviews.map((h) => h.schemaVersion));
  return `; awaits review for fields ${fields.join(', ')} (the file's schema changed in version ${since}): their values are not delivered until a steward re-approves the grant`;
}

/** The file columns that default rules may name, for an alias of data_file. */
const fileColumns = (alias: string): Record<string, string> => ({
  id: `${alias}.id`,
  districtId: `${alias}.district_id`,
  ownerDepartmentId: `${alias}.owner_department_id`,
  classification: `${alias}.classification`,
  category: `${alias}.category`,
  classificationRank: `classification_rank(${alias}.classification)`,
});

/**
 * What one caller may do at `at`: its roles and the grants its department
 * holds then, as rules (given built, when the department's grants have not
 * changed since they were, or built here). Single rows are checked with CASL
 * in memory; lists get the same decision as SQL.
 */
export class AccessPolicy implements LedgerReader {
  readonly rules: AccessRules;

  constructor(
    readonly actor: Actor,
    grants: readonly GrantFacts[] | AccessRules,
    readonly at: Date,
  ) {
    this.rules = grants instanceof AccessRules ? grants : new AccessRules(actor, grants);
  }

  get grants(): readonly GrantFacts[] {
    return this.rules.grants;
  }

  get ability(): AppAbility {
    return this.rules.ability;
  }

  can(action: Action, file: FileFacts): boolean {
    return this.rules.abilityFor(file).can(action, asSubject(file));
  }

  actionsOn(file: FileFacts): Action[] {
    const ability = this.rules.abilityFor(file);
    const s = asSubject(file);
    return ACTIONS.filter((a) => ability.can(a, s));
  }

  /** register, grant or decide on a file; with `granteeDepartmentId`, grant to that department. */
  may(capability: Extract<Capability, 'register' | 'grant' | 'decide'>, file: GrantSubject): boolean {
    return this.ability.can(capability, subject('DataFile', { ...file }));
  }

  /** Request exchanges, or receive their delivery, for the caller's department: its members and stewards. */
  mayActAsDataUser(capability: Extract<Capability, 'request' | 'receive'>): boolean {
    return this.ability.can(capability, 'DataFile');
  }

  mayReadWholeLedgers(): boolean {
    return this.ability.can('read', 'AuditLog');
  }

  mayVerifyLedgers(): boolean {
    return this.ability.can('verify', 'AuditLog');
  }

  mayReadAuditEntry(entry: { parties: string[] }): boolean {
    return this.ability.can('read', subject('AuditEntry', { parties: entry.parties }));
  }

  /**
   * The grants the caller may see, as SQL over permission `p`: those it holds,
   * those on its department's files (`ownerSql`: the owning department of the
   * grant's file, as the directory writes it), those of its district for a
   * district administrator, and all for platform administrators and auditors.
   */
  grantVisibility(ownerSql: string): SqlFragment {
    const { department } = this.actor;
    if (this.mayReadWholeLedgers() || this.may('grant', { districtId: '', ownerDepartmentId: '' })) return { sql: 'TRUE', params: {} };
    const parts = ['p.grantee_department_id = :gv_dept', `${ownerSql} = :gv_dept`];
    if (this.may('grant', { districtId: department.districtId, ownerDepartmentId: '' })) parts.push('p.district_id = :gv_district');
    return { sql: `(${parts.join(' OR ')})`, params: { gv_dept: department.id, gv_district: department.districtId } };
  }

  /** grant or revoke a scope grant in a district (district and platform administrators); with a grantee, grant to it. */
  mayGrantScope(districtId: string, granteeDepartmentId?: string): boolean {
    return this.may('grant', { districtId, ownerDepartmentId: '', ...(granteeDepartmentId ? { granteeDepartmentId } : {}) });
  }

  isOwner(file: FileFacts): boolean {
    return file.ownerDepartmentId === this.actor.department.id;
  }

  private matchingRules(action: Action, file: FileFacts): AccessRule[] {
    const s = asSubject(file);
    return this.rules
      .abilityFor(file)
      .rulesFor(action, 'DataFile')
      .filter((r) => !r.inverted && r.matchesConditions(s))
      .map((r) => r.origin as AccessRule);
  }

  /**
   * The fields of `file` whose values the caller may obtain: every field under
   * a rule that gives EXCHANGE on all fields (the owner, a grant of all
   * fields), else the fields that its EXCHANGE grants name; in both cases but
   * the fields a grant holds for review on this file (a schema change touched
   * them since it was decided), unless another rule gives them. Without
   * EXCHANGE, none. A sensitive field is thus only ever obtained under a grant
   * that names it or all fields.
   */
  obtainableFields<F extends FieldFacts>(file: FileFacts, fields: F[]): F[] {
    const given = new Set<string>();
    for (const r of this.matchingRules('EXCHANGE', file)) {
      if (r.fieldScope === 'none') continue;
      const held = heldOn(r.grant, file.id);
      const covered = r.fieldScope === 'all' ? fields.map((f) => f.name) : ((r.fields as string[] | undefined) ?? []);
      for (const name of covered) if (!held.has(name)) given.add(name);
    }
    return fields.filter((f) => given.has(f.name));
  }

  /**
   * The grants the caller relies on to obtain `fields` of `file`: for each
   * field, the grant of the first EXCHANGE rule that gives it (none where a
   * rule of the caller's role gives it). What a delivery holds in force while
   * it writes (GrantService.stillGiving).
   */
  grantsGiving(file: FileFacts, fields: readonly string[]): GrantFacts[] {
    const relied = new Map<string, GrantFacts>();
    const rules = this.matchingRules('EXCHANGE', file).filter((r) => r.fieldScope !== 'none');
    for (const name of fields) {
      const rule = rules.find(
        (r) => (r.fieldScope === 'all' || (r.fields as string[] | undefined)?.includes(name)) && !heldOn(r.grant, file.id).has(name),
      );
      if (rule?.grant) relied.set(rule.grant.id, rule.grant);
    }
    return [...relied.values()];
  }

  /**
   * The fields of `file` that the caller's EXCHANGE grants would give but
   * hold for a steward's review, and no other rule gives: what delivery
   * withholds (rather than refuses) until the grant is re-approved.
   */
  fieldsAwaitingReview<F extends FieldFacts>(file: FileFacts, fields: F[]): F[] {
    const obtainable = new Set(this.obtainableFields(file, fields).map((f) => f.name));
    const held = new Set<string>();
    for (const r of this.matchingRules('EXCHANGE', file)) {
      if (r.fieldScope === 'none') continue;
      const covered = new Set(r.fieldScope === 'all' ? fields.map((f) => f.name) : ((r.fields as string[] | undefined) ?? []));
      for (const name of heldOn(r.grant, file.id)) if (covered.has(name)) held.add(name);
    }
    return fields.filter((f) => held.has(f.name) && !obtainable.has(f.name));
  }

  /**
   * The file's field catalogue as the caller sees it: with READ, every field
   * (names, types and sensitive flags are catalogue metadata), each marked
   * with whether its values are obtainable; without READ, nothing.
   */
  fieldCatalogue<F extends CatalogueFieldFacts>(file: FileFacts, fields: F[]): CatalogueField<F>[] {
    if (!this.can('READ', file)) return [];
    const obtainable = new Set(this.obtainableFields(file, fields).map((f) => f.name));
    // Written out, not spread: this runs for every field of every file of a page, and a spread of each row cost
    // more than deciding the page's files (0.3-0.7 ms a page of 20 files of 16 fields).
    return fields.map((f) => ({
      name: f.name,
      type: f.type,
      sensitive: f.sensitive,
      description: f.description,
      obtainable: obtainable.has(f.name),
    }));
  }

  /**
   * Why each action is allowed: the default rules and grants that give it. A
   * grant that holds fields of this file for review says which, and since
   * which schema version, where it gives EXCHANGE.
   */
  explain(file: FileFacts): { action: Action; reasons: string[]; grants: GrantFacts[] }[] {
    return ACTIONS.map((action) => {
      const rules = this.matchingRules(action, file);
      const reasons = rules.map((r) => {
        const review = action === 'EXCHANGE' && r.fieldScope !== 'none' ? reviewNote(r.grant, file.id) : '';
        return r.reason + review;
      });
      return { action, reasons, grants: rules.flatMap((r) => (r.grant ? [r.grant] : [])) };
    });
  }

  /**
   * The files of `alias` (a data_file alias) the caller may `action`, as SQL:
   * the default rules translated from CASL, or a grant in the permission table.
   * The grants stay in SQL, since an IN-list of thousands of literal ids does
   * not scale; the property tests hold the two forms to the same answer.
   * `scope`: the districts the files are read in, when the statement names
   * them; only grants of those districts can admit their files, so only those
   * are read (without it, a department's grants are read in every district).
   * `prefix` names the parameters, so that two policies' conditions can stand
   * in one statement.
   */
  fileCondition(alias: string, action: Action = 'DISCOVER', scope: DistrictScope = ANY_DISTRICT, prefix = 'acc'): SqlFragment {
    const terms = this.fileConditionTerms(alias, action, scope, prefix);
    return {
      sql: terms.length ? `(${terms.map((t) => t.sql).join(' OR ')})` : 'FALSE',
      params: Object.assign({}, ...terms.map((t) => t.params)) as Record<string, unknown>,
    };
  }

  /**
   * fileCondition as the list of its disjuncts: each default rule (CASL's
   * conditions, in CASL's order), then the file grants, then the scope
   * grants. Each is a condition an index can answer on its own, so that a
   * count can add up disjoint counts instead of testing the whole disjunction
   * on every row. Grants are read in `scope` only: the districts of the
   * files asked about, so that the read of permission does not fan out.
   */
  fileConditionTerms(alias: string, action: Action = 'DISCOVER', scope: DistrictScope = ANY_DISTRICT, prefix = 'acc'): SqlFragment[] {
    const ast = rulesToAST(this.rules.defaultAbility, action, 'DataFile') as ConditionNode | null;
    const columns = fileColumns(alias);
    const rules = ast === null ? [] : ast.operator === 'or' ? (ast.value as ConditionNode[]) : [ast];
    const terms = rules.map((node, i) => conditionToSql(node, columns, `${prefix}_${i}_`));
    // The caller's roles cap what a grant gives it (administrators and auditors never EXCHANGE).
    if (ACTIONS.indexOf(action) > ACTIONS.indexOf(highestGrantedAction(this.actor))) return terms;
    const scoped: Record<string, unknown> = {};
    const inScope = districtCondition(scope, 'p.district_id', (value) => {
      scoped[`${prefix}_districts`] = value;
      return `:${prefix}_districts`;
    });
    const grantParams = {
      [`${prefix}_dept`]: this.actor.department.id,
      [`${prefix}_rank`]: ACTIONS.indexOf(action) + 1,
      [`${prefix}_at`]: this.at,
      ...scoped,
    };
    const params = { ...grantParams, [`${prefix}_classifications`]: [...CLASSIFICATIONS] };
    const granted = `p.grantee_department_id = :${prefix}_dept AND ${inScope} AND action_rank(p.action) >= :${prefix}_rank AND ${grantInForceSql('p', `${prefix}_at`)}`;
    // Uncorrelated IN-subqueries: PostgreSQL runs each once and probes a hash per row (or, in
    // a count, walks the few granted keys through an index), where a correlated EXISTS would
    // probe the permission index for every file. A scope grant covers the classifications up
    // to its highest, named as such so that (category, classification, district) is an index key.
    return [
      ...terms,
      {
        sql: `${alias}.id IN (SELECT p.file_id FROM permission p WHERE p.file_id IS NOT NULL AND ${granted})`,
        params: grantParams,
      },
      {
        sql: `(${alias}.district_id, ${alias}.category, ${alias}.classification) IN (
           SELECT p.district_id, p.scope_category, covered.classification
             FROM permission p CROSS JOIN LATERAL unnest(CAST(:${prefix}_classifications AS text[])) AS covered(classification)
            WHERE p.file_id IS NULL AND ${granted}
              AND classification_rank(covered.classification) <= classification_rank(p.scope_max_classification))`,
        params,
      },
    ];
  }
}
