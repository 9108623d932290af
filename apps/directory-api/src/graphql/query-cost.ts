import {
  GraphQLError,
  TypeInfo,
  getArgumentValues,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '@app/common';

/** Fields whose work is out of proportion to what they return. */
export const FIELD_PRICES: Readonly<Record<string, number>> = {
  // A count over every file the caller may discover: a fifth of the default limit, so that one
  // request runs at most four such counts at once and cannot hold the whole connection pool.
  'DataFileConnection.totalCount': 20_000,
  // Five grouped counts over the same files.
  'Query.fileFacets': 20_000,
  'ExchangeConnection.totalCount': 20,
  // The caller's visible grants, counted under the same predicate as the page.
  'PermissionConnection.totalCount': 100,
  'FileAudienceConnection.totalCount': 100,
  // Each department listed gets its reasons: a CASL policy built from its grants and asked to explain.
  // A page of 200 is then a heavy query (one at a time per department), and two of them too costly.
  'FileAudienceConnection.edges': 250,
  // Three counts over the files a department may see, as files' totalCount is priced.
  'Query.accessCounts': 60_000,
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

/** A page size as the service takes it: one out of range is refused with its own message, so it is priced at the cap. */
const pageSize = (first: number) => Math.min(MAX_PAGE_SIZE, Math.max(1, first));

/**
 * The page size that multiplies each `edges` selection: its connection field's
 * `first`, as the variables and defaults make it. An `edges` whose connection
 * is not in sight (written in a fragment on the connection type) is priced at
 * the largest page.
 */
function edgesPageSizes(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): Map<FieldNode, number> {
  const sizes = new Map<FieldNode, number>();
  const typeInfo = new TypeInfo(schema);
  const firsts: (number | undefined)[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          const definition = typeInfo.getFieldDef();
          let first: unknown;
          try {
            first = definition?.args.some((a) => a.name === 'first') ? getArgumentValues(definition, node, variables).first : undefined;
          } catch {
            // Bad arguments are refused by execution with their own message; price this one at the cap.
            first = MAX_PAGE_SIZE;
          }
          firsts.push(typeof first === 'number' ? pageSize(first) : undefined);
          const parent = firsts.length > 1 ? firsts[firsts.length - 2] : undefined;
          if (node.name.value === 'edges' && parent !== undefined) sizes.set(node, Math.max(sizes.get(node) ?? 0, parent));
        },
        leave() {
          firsts.pop();
        },
      },
    }),
  );
  return sizes;
}

/**
 * Every object the response would hold costs 1; a scalar costs nothing unless
 * FIELD_PRICES says so (a count, a chain verification). A connection's `edges`
 * multiply what they select by the connection's `first`, as the variables
 * make it (its `totalCount` and `pageInfo` are not multiplied); any other list
 * of objects multiplies by its real maximum. Fragments are priced where they
 * are spread.
 */
function estimator(listSizes: ListSizes, edgesSizes: Map<FieldNode, number>): ComplexityEstimator {
  return ({ type, field, node, childComplexity }) => {
    // Introspection has a fixed shape, bounded by the query shape rule.
    if (type.name.startsWith('__') || field.name.startsWith('__')) return 0;
    const key = `${type.name}.${field.name}`;
    if (!isCompositeType(getNamedType(field.type))) return FIELD_PRICES[key] ?? 0;
    const own = FIELD_PRICES[key] ?? 1;
    if (type.name.endsWith('Connection') && field.name === 'edges')
      return (edgesSizes.get(node) ?? MAX_PAGE_SIZE) * (own + childComplexity);
    if (!isList(field.type)) return own + childComplexity;
    return (listSizes[key] ?? DEFAULT_LIST_SIZE) * (own + childComplexity);
  };
}

/** The estimated cost of running `document` with `variables`. */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  listSizes: ListSizes,
): number {
  return getComplexity({
    schema,
    query: document,
    variables,
    estimators: [estimator(listSizes, edgesPageSizes(schema, document, variables))],
  });
}

/** Refuses, before execution, a query whose estimated cost exceeds `maxCost`; else returns the cost. */
export function checkQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  listSizes: ListSizes,
  maxCost: number,
): number {
  const cost = queryCost(schema, document, variables, listSizes);
  if (cost > maxCost) {
    throw new GraphQLError(
      `the query is too costly (estimated ${Math.round(cost).toLocaleString('en-US')}, the limit is ${maxCost.toLocaleString('en-US')}); select fewer fields or smaller pages`,
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  return cost;
}
