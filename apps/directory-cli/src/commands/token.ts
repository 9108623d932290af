import { isRole, loadAuthConfig, Tokens, type Role } from '@app/auth';
import { developmentEnv } from '../cli-env.js';

/** Mints a token with the service's key (JWT_SECRET / JWT_PRIVATE_KEY, or the development secret). */
export async function mintToken(options: { department?: string; roles?: string; subject?: string; ttl?: string }): Promise<string> {
  if (!options.department) throw new Error('--department CODE is required (see the departments query for codes)');
  const roles = (options.roles ?? 'MEMBER').split(',').map((r) => r.trim().toUpperCase());
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length)
    throw new Error(`unknown role ${unknown.join(', ')}; roles are MEMBER, STEWARD, DISTRICT_ADMIN, PLATFORM_ADMIN, AUDITOR`);
  const tokens = new Tokens(loadAuthConfig(developmentEnv()));
  return tokens.mint(
    { subject: options.subject ?? `dev-${options.department}`, departmentCode: options.department, roles: roles as Role[] },
    options.ttl ?? '8h',
  );
}
