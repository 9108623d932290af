import { GraphQLError, getNamedType, isCompositeType, isListType, isNonNullType, type DocumentNode, type GraphQLOutputType, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '@app/common';

/** Fields whose work is out of proportion to what they return. */
export const FIELD_PRICES: Readonly<Record<string, number>> = {
  // A count over every file the caller may discover.
  'DataFileConnection.totalCount': 50,
  'ExchangeConnection.totalCount': 20,
  // Streams and re-hashes a whole ledger.
  'Query.verifyAuditChain': 40_000,
  'Query.auditReceipt': 200,
  'Query.auditConsistency': 200,
  'Exchange.receipt': 200,
  'Query.explainAccess': 20,
};

/** How many items an unpaged list of objects can hold: its real maximum, known when the query is priced. */
export type ListSizes = Readonly<Record<string, number>>;

/** Any other unpaged list of objects. */
const DEFAULT_LIST_SIZE = 100;

const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * Every object the response would hold costs 1; a scalar costs nothing unless
 * FIELD_PRICES says so (a count, a chain verification). A paged field (one
 * with `first`) multiplies what it selects by its page size, as the variables
 * make it, and its `edges` do not multiply again; any other list of objects
 * multiplies by its real maximum. Fragments are priced where they are spread.
 */
function estimator(listSizes: ListSizes): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    // Introspection has a fixed shape, bounded by the query shape rule.
    if (type.name.startsWith('__') || field.name.startsWith('__')) return 0;
    const key = `${type.name}.${field.name}`;
    if (!isCompositeType(getNamedType(field.type))) return FIELD_PRICES[key] ?? 0;
    const own = FIELD_PRICES[key] ?? 1;
    // A page size out of range is refused by the service with its own message; price it at the cap.
    if (typeof args.first === 'number') return own + Math.min(MAX_PAGE_SIZE, Math.max(1, args.first)) * childComplexity;
    if (!isList(field.type) || (type.name.endsWith('Connection') && field.name === 'edges')) return own + childComplexity;
    return (listSizes[key] ?? DEFAULT_LIST_SIZE) * (own + childComplexity);
  };
}

/** The estimated cost of running `document` with `variables`. */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, listSizes: ListSizes): number {
  return getComplexity({ schema, query: document, variables, estimators: [estimator(listSizes)] });
}

/** Refuses, before execution, a query whose estimated cost exceeds `maxCost`. */
export function checkQueryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, listSizes: ListSizes, maxCost: number) {
  const cost = queryCost(schema, document, variables, listSizes);
  if (cost > maxCost) {
    throw new GraphQLError(`the query is too costly (estimated ${Math.round(cost).toLocaleString('en-US')}, the limit is ${maxCost.toLocaleString('en-US')}); select fewer fields or smaller pages`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
}
