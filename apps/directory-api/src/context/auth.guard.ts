import { Injectable, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { AccessPolicy } from '@app/access';
import type { GraphQLContext } from './request-scope.js';

/**
 * The token itself is verified before GraphQL runs (see graphql-auth.hook.ts);
 * this resolves the caller's department and grants once per request.
 */
@Injectable()
export class CallerGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ctx = GqlExecutionContext.create(context).getContext<GraphQLContext>();
    ctx.caller ??= await ctx.scope.caller();
    return true;
  }
}

/** The caller's access policy: who it is and what it may do. */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): AccessPolicy => {
  const caller = GqlExecutionContext.create(context).getContext<GraphQLContext>().caller;
  if (!caller) throw new Error('CallerGuard did not run before this resolver');
  return caller;
});
