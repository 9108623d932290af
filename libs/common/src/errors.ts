/** Codes a client can act on; every domain error carries one. */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'PAYLOAD_TOO_LARGE';

/** An error whose message is written for the caller and safe to show them. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /**
   * What a GraphQL error made from this one carries (graphql-js copies its
   * original error's extensions), for the paths no error formatter sees: the
   * errors a subscription's resolver sends over WebSocket.
   */
  get extensions(): Record<string, unknown> {
    return { ...this.details, code: this.code };
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) => new DomainError('BAD_USER_INPUT', message, details);
export const notFound = (message: string) => new DomainError('NOT_FOUND', message);
export const forbidden = (message: string) => new DomainError('FORBIDDEN', message);
export const conflict = (message: string) => new DomainError('CONFLICT', message);
export const unauthenticated = (message: string) => new DomainError('UNAUTHENTICATED', message);
