import { createMongoAbility, subject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { hasRole, type Actor } from '@app/auth';
import { ACTIONS, classificationRank, impliedActions, type Action, type FileFacts, type GrantFacts } from './actions.js';

/** What CASL sees of a file: its facts plus the rank a scope grant compares. */
export type FileSubject = FileFacts & { classificationRank: number };
export type AuditEntrySubject = { parties: string[] };

/**
 * Beyond the file actions: register a file, grant on it, decide exchange
 * requests for it (DataFile); read an audit entry (AuditEntry); read and verify
 * whole ledgers (AuditLog).
 */
export type Capability = 'register' | 'grant' | 'decide' | 'read' | 'verify';
export type AppAbility = MongoAbility<[Action | Capability, 'DataFile' | 'AuditEntry' | 'AuditLog' | FileSubject | AuditEntrySubject]>;

/**
 * Which of a file's fields a rule opens: every field, the non-sensitive ones
 * (default rules), or those it names (field-limited grants).
 */
export type FieldScope = 'all' | 'non-sensitive' | 'named';

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
    rule(DISCOVER_READ, { classification: 'PUBLIC' }, 'non-sensitive', 'default: every department reads PUBLIC files'),
    rule(
      DISCOVER_READ,
      { classification: 'INTERNAL', districtId: department.districtId },
      'non-sensitive',
      `default: departments of ${department.districtCode} read its INTERNAL files`,
    ),
  ];
  if (hasRole(actor, 'PLATFORM_ADMIN', 'AUDITOR')) {
    rules.push(rule(DISCOVER_READ, undefined, 'non-sensitive', 'default: platform administrators and auditors read every entry'));
  }
  if (hasRole(actor, 'DISTRICT_ADMIN')) {
    rules.push(
      rule(DISCOVER_READ, { districtId: department.districtId }, 'non-sensitive', `default: district administrators read every entry of ${department.districtCode}`),
    );
  }
  // Last, so that it takes precedence when reasons are listed.
  rules.push(rule(ACTIONS, { ownerDepartmentId: department.id }, 'all', `owner: ${department.code} owns the file`));
  return [...rules, ...capabilityRules(actor)];
}

const capability = (action: Capability, subjectType: 'DataFile' | 'AuditEntry' | 'AuditLog', conditions: Record<string, unknown> | undefined, reason: string): AccessRule => ({
  action,
  subject: subjectType,
  conditions,
  fieldScope: 'all',
  reason,
});

/** Who registers, grants, decides and audits. */
function capabilityRules(actor: Actor): AccessRule[] {
  const { department } = actor;
  const rules: AccessRule[] = [capability('read', 'AuditEntry', { parties: department.code }, 'a department reads the entries that concern it')];
  if (hasRole(actor, 'STEWARD')) {
    const own = { ownerDepartmentId: department.id };
    rules.push(
      capability('register', 'DataFile', own, 'stewards register their department\'s files'),
      capability('grant', 'DataFile', own, 'stewards grant on their department\'s files'),
      capability('decide', 'DataFile', own, 'stewards decide requests for their department\'s files'),
    );
  }
  if (hasRole(actor, 'DISTRICT_ADMIN')) {
    rules.push(capability('grant', 'DataFile', { districtId: department.districtId }, 'district administrators grant within their district'));
  }
  if (hasRole(actor, 'PLATFORM_ADMIN')) rules.push(capability('grant', 'DataFile', undefined, 'platform administrators grant anywhere'));
  if (hasRole(actor, 'PLATFORM_ADMIN', 'AUDITOR')) {
    rules.push(
      capability('read', 'AuditEntry', undefined, 'auditors read every entry'),
      capability('read', 'AuditLog', undefined, 'auditors read whole ledgers'),
      capability('verify', 'AuditLog', undefined, 'auditors verify ledgers'),
    );
  }
  return rules;
}

export function grantRule(grant: GrantFacts): AccessRule {
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
  return {
    action: impliedActions(grant.action),
    subject: 'DataFile',
    conditions,
    fields: grant.fields ?? undefined,
    fieldScope: grant.fields ? 'named' : 'all',
    reason: `grant ${grant.id}: ${grant.action} on ${target}${fields} by ${grant.grantedBy} for "${grant.purpose}"${until}`,
    grant,
  };
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
