import type { FastifyRequest } from 'fastify';
import {
  GraphQLError,
  Kind,
  isInputObjectType,
  isListType,
  isNonNullType,
  typeFromAST,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { DEFAULT_LIST_LIMIT, LIST_LIMITS } from './input-limits.js';

/**
 * Twice the longest list any argument takes (published records): a longer
 * one in the variables is refused unread. Up to it, coercion is cheap and the
 * argument's own limit answers with its own words.
 */
export const MAX_VARIABLE_LIST = 2 * Math.max(DEFAULT_LIST_LIMIT, ...Object.values(LIST_LIMITS));
/** List items and input-object members in all the variables together; a JSON value counts as one. */
export const MAX_VARIABLE_VALUES = 2 * MAX_VARIABLE_LIST;

const refuse = (message: string) => new GraphQLError(message, { extensions: { code: 'PAYLOAD_TOO_LARGE' } });

/** Below this many bytes of body, variables cannot hold enough values for their coercion to matter (some milliseconds). */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * Whether a request's variables need bounding before they are coerced: a
 * body larger than a few pages of text, or of unknown length (chunked). A GET
 * request's variables fit in its URL, which the server bounds.
 */
export function mayHoldLargeVariables(request: FastifyRequest): boolean {
  if (request.method !== 'POST') return false;
  const length = Number(request.headers['content-length'] ?? Number.POSITIVE_INFINITY);
  return !(length <= SMALL_BODY_BYTES);
}

/** The variables of a POST request's body, as given. */
export const variablesOf = (request: FastifyRequest): unknown => (request.body as { variables?: unknown } | undefined)?.variables;

/**
 * Bounds the variables before GraphQL coerces them. Coercion walks every list
 * item and input-object member, at about a microsecond each, before any
 * argument's own limit is checked: a 10 MiB body holding a list of millions
 * of empty strings kept the event loop for seconds, and so every other
 * department waiting. This walk follows the operation's declared variable
 * types, never descends into a JSON value (published records are bounded
 * by the service), and stops at the first excess. The driver coerces before
 * any hook but the one before parsing, so it is called there, on the
 * document parsed once more (the text is already bounded), for the requests
 * whose variables could be large (mayHoldLargeVariables).
 */
export function checkVariableSizes(schema: GraphQLSchema, document: DocumentNode, variables: unknown): void {
  if (variables === null || typeof variables !== 'object') return;
  const given = variables as Record<string, unknown>;
  let values = 0;
  const count = (n: number) => {
    values += n;
    if (values > MAX_VARIABLE_VALUES)
      throw refuse(`the variables hold more than ${MAX_VARIABLE_VALUES.toLocaleString('en-US')} values in all (list items and members)`);
  };
  const walk = (value: unknown, type: GraphQLInputType, name: string): void => {
    if (isNonNullType(type)) return walk(value, type.ofType, name);
    if (isListType(type)) {
      if (!Array.isArray(value)) return walk(value, type.ofType, name);
      if (value.length > MAX_VARIABLE_LIST) {
        throw refuse(
          `${name} holds ${value.length.toLocaleString('en-US')} items; no list takes more than ${MAX_VARIABLE_LIST.toLocaleString('en-US')}`,
        );
      }
      count(value.length);
      for (const item of value) walk(item, type.ofType, name);
      return;
    }
    if (isInputObjectType(type) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const fields = type.getFields();
      const members = Object.keys(value);
      count(members.length);
      for (const member of members) {
        const field = fields[member];
        if (field) walk((value as Record<string, unknown>)[member], field.type, `${name}.${member}`);
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const declared of definition.variableDefinitions ?? []) {
      const name = declared.variable.name.value;
      const type = typeFromAST(schema, declared.type) as GraphQLInputType | undefined;
      if (type && Object.hasOwn(given, name)) walk(given[name], type, `$${name}`);
    }
  }
}
