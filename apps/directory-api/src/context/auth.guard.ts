import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { AccessPolicy } from '@app/access';
import type { GraphQLContext } from './request-scope.js';

/**
 * The caller's access policy: who it is and what it may do. It is decided
 * once per request, before GraphQL runs (see graphql-auth.hook.ts).
 */
export const Caller = createParamDecorator(
  (_: unknown, context: ExecutionContext): AccessPolicy => GqlExecutionContext.create(context).getContext<GraphQLContext>().caller,
);
