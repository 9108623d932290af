import { specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { queryShapeRule } from '../graphql/query-shape.rule.js';

/**
 * Mercurius runs a subscription received over graphql-ws without the
 * validation a request over HTTP gets: this hook (preSubscriptionExecution)
 * applies the same rules, GraphQL's own and the query shape (depth, top-level
 * and expanded fields), and refuses the first fault as BAD_USER_INPUT.
 */
export function checkSubscriptionDocument(maxDepth: number) {
  const rules = [...specifiedRules, queryShapeRule(maxDepth)];
  return (schema: GraphQLSchema, document: DocumentNode): Promise<void> => {
    const [fault] = validate(schema, document, rules);
    if (!fault) return Promise.resolve();
    const code = typeof fault.extensions.code === 'string' ? fault.extensions.code : 'BAD_USER_INPUT';
    return Promise.reject(Object.assign(fault, { extensions: { ...fault.extensions, code } }));
  };
}
