import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { DomainError, unauthenticated } from '@app/common';
import type { TokenClaims, Tokens } from '@app/auth';
import type { AccessPolicy, AccessService } from '@app/access';
import type { DirectoryService } from '@app/directory';
import { sendRefusal } from './error-formatter.js';

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
    caller?: AccessPolicy;
  }
}

/**
 * Whether the request is for the GraphQL endpoint over HTTP (its query string
 * aside). A WebSocket upgrade is not: subscriptions authenticate at connection
 * init (events/subscription-auth.ts), since browsers cannot send headers there.
 */
export const isGraphQL = (request: FastifyRequest, path: string) =>
  request.url.split('?')[0] === path && request.headers.upgrade?.toLowerCase() !== 'websocket';

async function refuse(request: FastifyRequest, reply: FastifyReply, error: unknown): Promise<FastifyReply> {
  if (!(error instanceof DomainError)) throw error;
  return sendRefusal(request, reply.header('www-authenticate', 'Bearer'), 401, new GraphQLError(error.message, { originalError: error }));
}

/**
 * Every GraphQL request carries a valid bearer token, introspection included.
 * A bad one is answered 401 before the body is even read.
 */
export function requireBearerToken(fastify: FastifyInstance, tokens: Tokens, path: string): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isGraphQL(request, path)) return;
    try {
      request.claims = await tokens.verify(request.headers.authorization);
    } catch (error) {
      return refuse(request, reply, error);
    }
  });
}

/**
 * The caller (its department, roles and grants) is decided once, before any
 * resolver: a token naming a department that is not known here is a 401 for
 * every query, `{ __typename }` and introspection included. Runs after the
 * rate limit, so a flood is refused before it costs a query.
 */
export function resolveCaller(
  fastify: FastifyInstance,
  services: { directory: DirectoryService; access: AccessService },
  path: string,
): void {
  fastify.addHook('preHandler', async (request, reply) => {
    if (!isGraphQL(request, path) || !request.claims) return;
    const { claims } = request;
    try {
      const department = await services.directory.departmentByCode(claims.departmentCode);
      if (!department) throw unauthenticated(`the token's department "${claims.departmentCode}" is not known here`);
      request.caller = await services.access.policyFor({ subject: claims.subject, roles: claims.roles, department });
    } catch (error) {
      return refuse(request, reply, error);
    }
  });
}
