import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@app/common';
import type { TokenClaims, Tokens } from '@app/auth';
import { formatError } from './error-formatter.js';
import { GraphQLError } from 'graphql';

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
  }
}

/**
 * Every GraphQL request carries a valid bearer token, introspection included.
 * A bad one is answered 401 before any resolver or database work.
 */
export function requireBearerToken(fastify: FastifyInstance, tokens: Tokens, path: string): void {
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (request.url.split('?')[0] !== path) return;
    try {
      request.claims = await tokens.verify(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const formatted = formatError(new GraphQLError(error.message, { originalError: error }));
      return reply.code(401).header('www-authenticate', 'Bearer').send({ data: null, errors: [formatted] });
    }
  });
}
