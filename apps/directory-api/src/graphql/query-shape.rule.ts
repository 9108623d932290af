import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { MAX_EXPANDED_FIELDS, MAX_QUERY_NESTING, MAX_QUERY_TOKENS, MAX_ROOT_FIELDS } from './input-limits.js';

const refuse = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R]);

const OPERATION_KEYWORDS = new Set(['query', 'mutation', 'subscription', 'fragment']);

/**
 * Runs before the parser: graphql-js parses recursively, so query text nested
 * a few thousand levels deep would overflow the stack. The lexer is a loop.
 * Text that does not start as a GraphQL document is refused too: the driver
 * would otherwise try it as a JSON syntax tree.
 */
export function checkQueryText(text: string): void {
  const lexer = new Lexer(new Source(text));
  const first = lexer.advance();
  const startsDocument =
    (first.kind === TokenKind.NAME && OPERATION_KEYWORDS.has(first.value)) ||
    (first.kind === TokenKind.BRACE_L && [TokenKind.NAME, TokenKind.SPREAD].includes(lexer.lookahead().kind));
  if (!startsDocument) throw refuse('query must be a GraphQL document, such as { me { subject } }');
  let nesting = 1;
  for (let tokens = 2; lexer.advance().kind !== TokenKind.EOF; tokens += 1) {
    if (tokens > MAX_QUERY_TOKENS) throw refuse(`the query has more than ${MAX_QUERY_TOKENS.toLocaleString('en-US')} tokens`);
    const kind = lexer.token.kind;
    if (OPENING.has(kind) && ++nesting > MAX_QUERY_NESTING)
      throw refuse(`the query text is nested more than ${MAX_QUERY_NESTING} levels deep`);
    if (CLOSING.has(kind)) nesting -= 1;
  }
}

interface Shape {
  /** Nesting of fields, introspection excluded. */
  depth: number;
  /** Fields once every fragment spread is expanded where it is spread. */
  fields: number;
  /** Fields at the top of the selection (aliases included). */
  top: number;
}

/**
 * Refuses, in linear time, an operation nested deeper than `maxDepth`, with
 * more than MAX_ROOT_FIELDS fields at its top, or more than
 * MAX_EXPANDED_FIELDS once fragments are expanded. A fragment's shape is
 * computed once however often it is spread, so fragments spreading each other
 * twice cost nothing to check (the naive walk is exponential in them).
 * Introspection (`__schema`, `__type`) is exempt from the depth limit: its
 * shape is fixed and tools need it whole.
 */
export function queryShapeRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const known = new Map<string, Shape>();
    const visiting = new Set<string>();

    const fragmentShape = (name: string): Shape => {
      const cached = known.get(name);
      if (cached) return cached;
      // A cycle is reported by the standard NoFragmentCycles rule.
      if (visiting.has(name)) return { depth: 0, fields: 0, top: 0 };
      visiting.add(name);
      const shape = shapeOf(fragments.get(name)?.selectionSet);
      visiting.delete(name);
      known.set(name, shape);
      return shape;
    };

    const shapeOf = (set: SelectionSetNode | undefined): Shape => {
      const shape = { depth: 0, fields: 0, top: 0 };
      for (const s of set?.selections ?? []) {
        if (s.kind === Kind.FIELD) {
          const below = shapeOf(s.selectionSet);
          shape.fields += 1 + below.fields;
          shape.top += 1;
          if (!s.name.value.startsWith('__')) shape.depth = Math.max(shape.depth, 1 + below.depth);
        } else {
          const inner = s.kind === Kind.INLINE_FRAGMENT ? shapeOf(s.selectionSet) : fragmentShape(s.name.value);
          shape.fields += inner.fields;
          shape.top += inner.top;
          shape.depth = Math.max(shape.depth, inner.depth);
        }
      }
      return shape;
    };

    return {
      OperationDefinition(node) {
        const shape = shapeOf(node.selectionSet);
        const report = (message: string) =>
          context.reportError(new GraphQLError(message, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }));
        if (shape.depth > maxDepth) report(`the query is nested ${shape.depth} fields deep; the limit is ${maxDepth}`);
        if (shape.top > MAX_ROOT_FIELDS)
          report(
            `the operation selects ${shape.top.toLocaleString('en-US')} top-level fields; the limit is ${MAX_ROOT_FIELDS} (aliases count)`,
          );
        if (shape.fields > MAX_EXPANDED_FIELDS) {
          report(
            `the operation selects ${shape.fields.toLocaleString('en-US')} fields once fragments are expanded; the limit is ${MAX_EXPANDED_FIELDS.toLocaleString('en-US')}`,
          );
        }
      },
    };
  };
}
