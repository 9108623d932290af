import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

/**
 * Refuses an operation nested deeper than `maxDepth` fields. Introspection
 * (`__schema`, `__type`) is exempt: its shape is fixed and tools need it whole.
 */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value.startsWith('__')) continue;
          deepest = Math.max(deepest, 1 + depthOf(s.selectionSet, seen));
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(s.selectionSet, seen));
        } else if (!seen.has(s.name.value)) {
          deepest = Math.max(deepest, depthOf(fragments.get(s.name.value)?.selectionSet, new Set([...seen, s.name.value])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`the query is nested ${depth} fields deep; the limit is ${maxDepth}`, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }),
          );
        }
      },
    };
  };
}
