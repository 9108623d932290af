import type { FastifyInstance } from 'fastify';
import { isRole, type Tokens } from '@app/auth';
import type { DirectoryService } from '@app/directory';

/** How long a development token from the console lasts. */
const DEV_TOKEN_TTL = '8h';

interface DevTokenBody {
  departmentCode?: unknown;
  roles?: unknown;
  subject?: unknown;
}

/**
 * Development sign-in for the console: lists departments and mints a token for
 * the one picked. Registered only when the service made its own JWT secret
 * (embedded mode), so it can never exist where an identity provider issues tokens.
 */
export function serveDevSignIn(fastify: FastifyInstance, prefix: string, tokens: Tokens, directory: DirectoryService): void {
  fastify.get(`${prefix}/dev/identities`, async () => {
    const [districts, departments] = await Promise.all([directory.districts(), directory.departments()]);
    const districtById = new Map(districts.map((d) => [d.id, d]));
    return {
      departments: departments
        .map((d) => ({
          code: d.code,
          name: d.name,
          districtCode: districtById.get(d.districtId)?.code ?? '',
          districtName: districtById.get(d.districtId)?.name ?? '',
        }))
        .sort((a, b) => a.districtCode.localeCompare(b.districtCode) || a.name.localeCompare(b.name)),
    };
  });

  fastify.post<{ Body: DevTokenBody }>(`${prefix}/dev/token`, async (request, reply) => {
    const { departmentCode, roles, subject } = request.body ?? {};
    if (typeof departmentCode !== 'string' || !(await directory.departmentByCode(departmentCode))) {
      return reply.code(400).send({ error: `no department "${String(departmentCode)}"` });
    }
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      return reply.code(400).send({ error: 'roles must be a non-empty list of MEMBER, STEWARD, DISTRICT_ADMIN, PLATFORM_ADMIN, AUDITOR' });
    }
    const who = typeof subject === 'string' && /^[\w.-]{1,64}$/.test(subject) ? subject : 'console-dev';
    const token = await tokens.mint({ subject: who, departmentCode, roles: roles }, DEV_TOKEN_TTL);
    return { token };
  });
}
