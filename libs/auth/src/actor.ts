export const ROLES = ['MEMBER', 'STEWARD', 'DISTRICT_ADMIN', 'PLATFORM_ADMIN', 'AUDITOR'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

export interface DepartmentRef {
  id: string;
  code: string;
  name: string;
  districtId: string;
  districtCode: string;
}

/** The authenticated caller: a person (subject) acting for a department in some roles. */
export interface Actor {
  subject: string;
  roles: Role[];
  department: DepartmentRef;
}

/** What a verified token says, before the department is looked up. */
export interface TokenClaims {
  subject: string;
  departmentCode: string;
  roles: Role[];
}

export const hasRole = (actor: Actor, ...roles: Role[]): boolean => roles.some((r) => actor.roles.includes(r));

/** The name an actor goes by in audit entries and grant records. */
export const actorName = (actor: Actor): string => `${actor.subject}@${actor.department.code}`;
