import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DomainError } from '@app/common';
import { REQUEST_BODY_LIMIT_MIB } from './input-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request log line reports: the operation and its outcome code. */
    graphql?: { operation?: string; outcome?: string };
  }
}

/** Codes for failures that are nobody's mistake but that a client can act on (retry later). */
const DATABASE_BUSY = 'SERVICE_UNAVAILABLE';
const DATABASE_TIMEOUT = 'TIMEOUT';

/** What the database driver said, when the failure came from there. */
function databaseFault(error: Error): { code: string; message: string } | undefined {
  const driver: { code?: unknown; message?: unknown } = (error as { driverError?: object }).driverError ?? error;
  const code = driver.code;
  const message = typeof driver.message === 'string' ? driver.message : '';
  if (code === '57014')
    return { code: DATABASE_TIMEOUT, message: 'the request took too long in the database and was stopped; narrow it or try again' };
  if (/timeout exceeded when trying to connect/i.test(message)) {
    return { code: DATABASE_BUSY, message: 'the service is busy (no database connection was free in time); try again shortly' };
  }
  if (
    // TypeORM releases a transaction's runner when its connection drops; the transaction's next statement then says so.
    error instanceof QueryRunnerAlreadyReleasedError ||
    error instanceof QueryRunnerProviderAlreadyReleasedError ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    code === '57P03' ||
    /Connection terminated|connect ECONNREFUSED|not queryable|terminating connection|connection error/i.test(message)
  ) {
    return { code: DATABASE_BUSY, message: 'the database is unavailable; try again shortly' };
  }
  return undefined;
}

/** The driver's and the rate limiter's refusals by status: a code, and our own words where theirs would not help. */
const TRANSPORT_FAULTS: Record<number, { code: string; message?: string }> = {
  405: { code: 'METHOD_NOT_ALLOWED', message: 'only queries may be sent with GET; send mutations with POST' },
  413: { code: 'PAYLOAD_TOO_LARGE', message: `the request body is over the ${REQUEST_BODY_LIMIT_MIB} MiB limit` },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the request as application/json (or application/graphql)' },
  429: { code: 'RATE_LIMITED' },
};

/** Refusals of the HTTP request itself (method, media type, malformed or oversized body, rate), by their 4xx status. */
function transportFault(error: unknown): { code: string; message?: string } | undefined {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return undefined;
  if (TRANSPORT_FAULTS[statusCode]) return TRANSPORT_FAULTS[statusCode];
  // The HTTP layer's own refusals; and the request's body stream failing (a client that hung up mid-body: Node's
  // ECONNRESET, which Fastify marks 400), which is the client's doing, not the database's.
  return (typeof code === 'string' && /^(MER|FST)_ERR_/.test(code)) || code === 'ECONNRESET' ? { code: 'BAD_USER_INPUT' } : undefined;
}

/** One error as a client sees it: a code and a human message, never a stack or SQL. */
export function formatError(error: GraphQLError, log?: FastifyBaseLogger, requestId?: string): GraphQLFormattedError {
  const original = error.originalError;
  const base = { message: error.message, locations: error.locations, path: error.path };
  const coded = (code: string, message = base.message, details?: Record<string, unknown>): GraphQLFormattedError => {
    log?.debug({ code, message }, 'client error');
    return { ...base, message, extensions: { code, ...details, ...(requestId ? { requestId } : {}) } };
  };
  if (original instanceof DomainError) return coded(original.code, original.message, original.details);
  if (original instanceof GraphQLError) return formatError(original, log, requestId);
  const { code, stacktrace: _stack, exception: _exception, ...details } = error.extensions ?? {};
  // Our own refusals carry details a client can act on (retryAfterSeconds); never a stack.
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return coded(code, base.message, details);
  const transport = transportFault(original);
  if (transport) return coded(transport.code, (transport.message ?? base.message).replaceAll('`', ''));
  // Parse, validation and variable-coercion errors describe the query itself.
  if (!original) return coded('BAD_USER_INPUT');
  const database = databaseFault(original);
  if (database) {
    log?.warn({ code: database.code, cause: original.message }, 'database fault');
    return { ...base, message: database.message, extensions: { code: database.code, ...(requestId ? { requestId } : {}) } };
  }
  log?.error({ err: original }, 'internal error');
  return {
    ...base,
    message: 'internal error; it has been logged',
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  };
}

/**
 * Answers a request refused before GraphQL runs (token, request shape, the
 * department's turn) as GraphQL would: no data, the one error formatted, its
 * code the request's outcome.
 */
export function sendRefusal(request: FastifyRequest, reply: FastifyReply, status: number, error: GraphQLError): FastifyReply {
  const formatted = formatError(error, request.log, request.id);
  request.graphql = { outcome: formatted.extensions?.code as string };
  return reply.code(status).send({ data: null, errors: [formatted] });
}

/**
 * Mercurius reports parse, validation and transport failures as one error
 * carrying a list, whose items may be plain errors: each becomes a
 * GraphQLError that keeps the wrapper's status, so it is formatted as the
 * client fault it is.
 */
function unwrap(error: unknown): GraphQLError[] {
  const wrapper = (error as { originalError?: { errors?: unknown } }).originalError ?? error;
  const nested = (wrapper as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.length) {
    return nested.flatMap((inner: unknown) =>
      inner instanceof GraphQLError
        ? unwrap(inner)
        : [new GraphQLError(inner instanceof Error ? inner.message : String(inner), { originalError: wrapper as Error })],
    );
  }
  if (error instanceof GraphQLError) return [error];
  const message = error instanceof Error ? error.message : String(error);
  return [new GraphQLError(message, { originalError: error instanceof Error ? error : undefined })];
}

const STATUS_BY_CODE: [string, number][] = [
  ['UNAUTHENTICATED', 401],
  ['INTERNAL_SERVER_ERROR', 500],
  ['SERVICE_UNAVAILABLE', 503],
  ['TIMEOUT', 503],
  ['METHOD_NOT_ALLOWED', 405],
  ['PAYLOAD_TOO_LARGE', 413],
  ['UNSUPPORTED_MEDIA_TYPE', 415],
  ['RATE_LIMITED', 429],
  ['BAD_USER_INPUT', 400],
];

/** Mercurius' hook: the HTTP status follows the most telling error. */
export function errorFormatter(
  execution: ExecutionResult & { errors: readonly GraphQLError[] },
  context?: { reply?: { request: FastifyRequest } },
) {
  const request = context?.reply?.request;
  const errors = execution.errors.flatMap(unwrap).map((e) => formatError(e, request?.log, request?.id));
  const codes = new Set(errors.map((e) => e.extensions?.code as string));
  if (request) request.graphql = { ...request.graphql, outcome: [...codes][0] };
  const onlyErrors = execution.data === undefined || execution.data === null;
  const statusCode = onlyErrors ? (STATUS_BY_CODE.find(([code]) => codes.has(code))?.[1] ?? 200) : 200;
  return { statusCode, response: { data: execution.data ?? null, errors } };
}
