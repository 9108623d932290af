import { decodeJwt } from 'jose';
import type { Actor, Tokens } from '@app/auth';
import type { DirectoryService } from '@app/directory';

/** What a subscription's resolvers find in their context: the caller decided at connection init. */
export interface SubscriptionContext {
  subscriber?: Actor;
  /** When the token expires (epoch ms): its subscriptions end then, as its HTTP requests would be refused. */
  subscriberExpiresAt?: number;
}

/** The Authorization value a connection_init payload carries, if any. */
export function connectionAuthorization(payload: unknown): string | undefined {
  const p = payload as Record<string, unknown> | null | undefined;
  const given = p?.authorization ?? p?.Authorization;
  return typeof given === 'string' ? given : undefined;
}

/** The JWT of an Authorization value (`Bearer <jwt>`). */
export const bearerJwt = (authorization: string): string => authorization.replace(/^Bearer\s+/i, '');

/**
 * The `subscription` option of the GraphQL driver: graphql-ws on the same
 * endpoint, authenticated once, at connection init, by the bearer token in its
 * payload (`{ authorization: 'Bearer <jwt>' }`) under the same rules as an
 * HTTP request: a bad, expired or endless token, or an unknown department,
 * is refused and the connection closed. (Browsers cannot set headers on a
 * WebSocket; the upgrade request itself carries no token.)
 */
export function subscriptionOptions(tokens: Tokens, directory: DirectoryService) {
  return {
    onConnect: async ({ payload }: { payload?: Record<string, unknown> }): Promise<SubscriptionContext | false> => {
      const given = connectionAuthorization(payload);
      try {
        const claims = await tokens.verify(given);
        const department = await directory.departmentByCode(claims.departmentCode);
        if (!department) return false;
        // Verified above, so its exp (which verification requires) can be read as it stands.
        const { exp } = decodeJwt(bearerJwt(given!));
        return { subscriber: { subject: claims.subject, roles: claims.roles, department }, subscriberExpiresAt: exp! * 1000 };
      } catch {
        return false;
      }
    },
    // A ping every 30 s keeps idle connections through proxies that drop silent ones.
    keepAlive: 30_000,
  };
}
