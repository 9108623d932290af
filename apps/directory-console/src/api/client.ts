import { cacheExchange, Client, CombinedError, fetchExchange } from 'urql';

/** A client per token: signing in as someone else starts from an empty cache. */
export function createApiClient(token: string | null): Client {
  return new Client({
    url: '/graphql',
    exchanges: [cacheExchange, fetchExchange],
    requestPolicy: 'cache-and-network',
    fetchOptions: (): RequestInit => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}

/** The service's own words for what went wrong (it never sends stacks or SQL). */
export function errorText(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  if (error.graphQLErrors.length) return error.graphQLErrors.map((e) => e.message).join('; ');
  if (error.networkError) return `The service could not be reached: ${error.networkError.message}`;
  return error.message;
}

/** The error code (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, ...) of the first GraphQL error. */
export const errorCode = (error: CombinedError | undefined | null): string | undefined =>
  error?.graphQLErrors[0]?.extensions?.code as string | undefined;
