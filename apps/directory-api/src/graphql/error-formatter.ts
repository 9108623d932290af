import { Logger } from '@nestjs/common';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { DomainError } from '@app/common';

const logger = new Logger('GraphQL');

/** The largest request body the service reads (see bootstrap.ts). */
export const REQUEST_BODY_LIMIT_MIB = 10;

/** One error as a client sees it: a code and a human message, never a stack or SQL. */
export function formatError(error: GraphQLError): GraphQLFormattedError {
  const original = error.originalError;
  const base = { message: error.message, locations: error.locations, path: error.path };
  if (original instanceof DomainError) {
    return { ...base, message: original.message, extensions: { code: original.code, ...(original.details ?? {}) } };
  }
  if (original instanceof GraphQLError) return formatError(original);
  const code = error.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return { ...base, extensions: { code } };
  // Mercurius' own refusals of a request (query depth, malformed body) are the client's to fix.
  const { code: refusal, statusCode } = (original ?? {}) as { code?: unknown; statusCode?: unknown };
  if (refusal === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) {
    return { ...base, message: `the request body is over the ${REQUEST_BODY_LIMIT_MIB} MiB limit`, extensions: { code: 'PAYLOAD_TOO_LARGE' } };
  }
  if (typeof refusal === 'string' && (refusal === 'MER_ERR_GQL_QUERY_DEPTH' || (/^(MER|FST)_ERR_/.test(refusal) && statusCode === 400))) {
    return { ...base, message: error.message.replaceAll('`', ''), extensions: { code: 'BAD_USER_INPUT' } };
  }
  if (!original) {
    // Parse, validation and variable-coercion errors describe the query itself.
    return { ...base, extensions: { code: 'BAD_USER_INPUT' } };
  }
  logger.error(original.stack ?? original.message);
  return { ...base, message: 'internal error; it has been logged', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Mercurius reports parse, validation and depth failures as one error that carries the list. */
function unwrap(error: unknown): GraphQLError[] {
  const nested = (error as { originalError?: { errors?: unknown } }).originalError?.errors;
  if (Array.isArray(nested)) return nested.flatMap(unwrap);
  if (error instanceof GraphQLError) return [error];
  const message = error instanceof Error ? error.message : String(error);
  return [new GraphQLError(message, { originalError: error instanceof Error ? error : undefined })];
}

/** Mercurius' hook: the HTTP status follows the most telling error. */
export function errorFormatter(execution: ExecutionResult & { errors: readonly GraphQLError[] }) {
  const errors = execution.errors.flatMap(unwrap).map(formatError);
  const onlyInput = execution.data === undefined || execution.data === null;
  const codes = new Set(errors.map((e) => e.extensions?.code));
  const statusCode = !onlyInput
    ? 200
    : codes.has('UNAUTHENTICATED')
      ? 401
      : codes.has('INTERNAL_SERVER_ERROR')
        ? 500
        : codes.has('PAYLOAD_TOO_LARGE')
          ? 413
          : codes.has('BAD_USER_INPUT')
            ? 400
            : 200;
  return { statusCode, response: { data: execution.data ?? null, errors } };
}
