import { createMongoAbility, subject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { hasRole, type Actor } from '@app/auth';
import { ACTIONS, classificationRank, impliedActions, type Action, type FileFacts, type GrantFacts } from './actions.js';

/** What CASL sees of a file: its facts plus the rank a scope grant compares. */
export type FileSubject = FileFacts & { classificationRank: number };
export type AuditEntrySubject = { parties: string[] };

/** A grant being made: the file's owner and district, and who would receive it. */
export type GrantSubject = Pick<FileFacts, 'ownerDepartmentId' | 'districtId'> & { granteeDepartmentId?: string };

/**
 * Beyond the file actions: register a file, grant on it, decide exchange
 * requests for it, request an exchange and receive its delivery (DataFile);
 * read an audit entry (AuditEntry); read and verify whole ledgers (AuditLog).
 */
export type Capability = 'register' | 'grant' | 'decide' | 'request' | 'receive' | 'read' | 'verify';
export type AppAbility = MongoAbility<
  [Action | Capability, 'DataFile' | 'AuditEntry' | 'AuditLog' | FileSubject | GrantSubject | AuditEntrySubject]
>;

/**
 * Whose values a rule opens, when it gives EXCHANGE: every field's, those it
 * names (field-limited grants), or none (rules that stop at READ). Field names,
 * types and sensitive flags are catalogue metadata, shown to anyone who may
 * READ the file; sensitivity protects only the values.
 */
export type FieldScope = 'all' | 'named' | 'none';

export type AccessRule = RawRuleOf<AppAbility> & { reason: string; fieldScope: FieldScope; grant?: GrantFacts };

const rule = (
  actions: readonly (Action | Capability)[],
  conditions: Record<string, unknown> | undefined,
  fieldScope: FieldScope,
  reason: string,
): AccessRule => ({ action: [...actions], subject: 'DataFile', conditions, fieldScope, reason });

const DISCOVER_READ: Action[] = ['DISCOVER', 'READ'];

/**
 * The default rule set, before any grant. This is the one place that says what
 * a role or a classification allows; see docs/architecture.md for the table.
 */
export function defaultRules(actor: Actor): AccessRule[] {
  const { department } = actor;
  const rules: AccessRule[] = [
    rule(DISCOVER_READ, { classification: 'PUBLIC' }, 'none', 'default: every department reads PUBLIC files'),
    rule(
      DISCOVER_READ,
      { classification: 'INTERNAL', districtId: department.districtId },
      'none',
      `default: departments of ${department.districtCode} read its INTERNAL files`,
    ),
  ];
  if (hasRole(actor, 'PLATFORM_ADMIN', 'AUDITOR')) {
    rules.push(rule(DISCOVER_READ, undefined, 'none', 'default: platform administrators and auditors read every entry'));
  }
  if (hasRole(actor, 'DISTRICT_ADMIN')) {
    rules.push(
      rule(
        DISCOVER_READ,
        { districtId: department.districtId },
        'none',
        `default: district administrators read every entry of ${department.districtCode}`,
      ),
    );
  }
  // Last, so that it takes precedence when reasons are listed.
  rules.push(rule(ACTIONS, { ownerDepartmentId: department.id }, 'all', `owner: ${department.code} owns the file`));
  return [...rules, ...capabilityRules(actor)];
}

const capability = (
  action: Capability,
  subjectType: 'DataFile' | 'AuditEntry' | 'AuditLog',
  conditions: Record<string, unknown> | undefined,
  reason: string,
): AccessRule => ({
  action,
  subject: subjectType,
  conditions,
  fieldScope: 'all',
  reason,
});

/**
 * Separation of duties: a department acts as a data user (requests exchanges,
 * receives records, holds EXCHANGE through a grant) only through its members
 * and stewards. A caller whose roles are only administrator or auditor roles
 * never does; a token that carries MEMBER or STEWARD as well acts for its
 * department as any member would.
 */
export const actsAsDataUser = (actor: Actor): boolean => hasRole(actor, 'MEMBER', 'STEWARD');

/** The most a grant gives this caller: EXCHANGE for data users, READ for administrators and auditors. */
export const highestGrantedAction = (actor: Actor): Action => (actsAsDataUser(actor) ? 'EXCHANGE' : 'READ');

/**
 * Separation of duties: whoever granted is never who receives. A grant made by
 * the requesting person, or by anyone of the requesting department, does not
 * approve that department's request by itself (a steward decides instead).
 * `grantedBy` is `subject@department` (actorName).
 */
export function grantorIsRecipient(grant: Pick<GrantFacts, 'grantedBy'>, actor: Actor): boolean {
  const at = grant.grantedBy.lastIndexOf('@');
  const subjectPart = at < 0 ? grant.grantedBy : grant.grantedBy.slice(0, at);
  const departmentPart = at < 0 ? null : grant.grantedBy.slice(at + 1);
  return subjectPart === actor.subject || departmentPart === actor.department.code;
}

/** Who registers, grants, decides, requests and audits. */
function capabilityRules(actor: Actor): AccessRule[] {
  const { department } = actor;
  const rules: AccessRule[] = [
    capability('read', 'AuditEntry', { parties: department.code }, 'a department reads the entries that concern it'),
  ];
  if (actsAsDataUser(actor)) {
    rules.push(
      capability('request', 'DataFile', undefined, 'members and stewards request exchanges for their department'),
      capability('receive', 'DataFile', undefined, 'members and stewards receive what their department was approved'),
    );
  }
  if (hasRole(actor, 'STEWARD')) {
    const own = { ownerDepartmentId: department.id };
    rules.push(
      capability('register', 'DataFile', own, "stewards register their department's files"),
      capability('grant', 'DataFile', own, "stewards grant on their department's files"),
      capability('decide', 'DataFile', own, "stewards decide requests for their department's files"),
    );
  }
  if (hasRole(actor, 'DISTRICT_ADMIN')) {
    rules.push(
      capability('grant', 'DataFile', { districtId: department.districtId }, 'district administrators grant within their district'),
    );
  }
  if (hasRole(actor, 'PLATFORM_ADMIN')) rules.push(capability('grant', 'DataFile', undefined, 'platform administrators grant anywhere'));
  if (hasRole(actor, 'PLATFORM_ADMIN', 'AUDITOR')) {
    rules.push(
      capability('read', 'AuditEntry', undefined, 'auditors read every entry'),
      capability('read', 'AuditLog', undefined, 'auditors read whole ledgers'),
      capability('verify', 'AuditLog', undefined, 'auditors verify ledgers'),
    );
  }
  // Last, so that it overrides every grant capability above (in CASL the later rule wins).
  rules.push({
    action: 'grant',
    subject: 'DataFile',
    inverted: true,
    conditions: { granteeDepartmentId: department.id },
    fieldScope: 'none',
    reason: 'separation of duties: nobody grants to its own department',
  });
  return rules;
}

/**
 * A grant as a rule. `highest` caps what it gives the caller (see
 * highestGrantedAction): an administrator's department may hold EXCHANGE, but
 * the administrator does not exchange with it.
 */
export function grantRule(grant: GrantFacts, highest: Action = 'EXCHANGE'): AccessRule {
  const action = ACTIONS.indexOf(grant.action) > ACTIONS.indexOf(highest) ? highest : grant.action;
  const conditions = grant.fileId
    ? { id: grant.fileId }
    : {
        districtId: grant.districtId,
        category: grant.scopeCategory,
        classificationRank: { $lte: classificationRank(grant.scopeMaxClassification ?? 'PUBLIC') },
      };
  const until = grant.expiresAt ? ` until ${grant.expiresAt.toISOString()}` : '';
  const target = grant.fileId ? 'this file' : `${grant.scopeCategory} files up to ${grant.scopeMaxClassification}`;
  const fields = grant.fields ? ` (fields: ${grant.fields.join(', ')})` : ' (all fields)';
  const capped = action !== grant.action ? `; ${action} only: administrators and auditors do not exchange` : '';
  return {
    action: impliedActions(action),
    subject: 'DataFile',
    conditions,
    fields: grant.fields ?? undefined,
    fieldScope: action !== 'EXCHANGE' ? 'none' : grant.fields ? 'named' : 'all',
    reason: `grant ${grant.id}: ${grant.action} on ${target}${fields} by ${grant.grantedBy} for "${grant.purpose}"${until}${capped}`,
    grant,
  };
}

/** Everything one caller may do: its department's grants, as far as its roles take them, then the default rules. */
export function rulesFor(actor: Actor, grants: readonly GrantFacts[]): AccessRule[] {
  const highest = highestGrantedAction(actor);
  return [...grants.map((g) => grantRule(g, highest)), ...defaultRules(actor)];
}

export function buildAbility(rules: AccessRule[]): AppAbility {
  return createMongoAbility<AppAbility>(rules);
}

export function asSubject(file: FileFacts): FileSubject {
  return subject('DataFile', {
    id: file.id,
    districtId: file.districtId,
    ownerDepartmentId: file.ownerDepartmentId,
    classification: file.classification,
    category: file.category,
    classificationRank: classificationRank(file.classification),
  });
}
