import { GraphQLError, Kind, type ASTVisitor, type FieldNode, type ValidationContext } from 'graphql';

/** The page size a field asks for: its `first` argument, a default when it is a variable. */
function pageSize(node: FieldNode, defaultPageSize: number): number {
  const first = node.arguments?.find((a) => a.name.value === 'first');
  if (!first) return 1;
  return first.value.kind === Kind.INT ? Math.max(1, Number(first.value.value)) : defaultPageSize;
}

/**
 * Refuses, before execution, a query whose estimated cost exceeds `maxCost`:
 * every selected field costs 1 per parent item, and a paged field (one with
 * `first`) multiplies what is selected below it by its page size.
 */
export function costLimitRule(maxCost: number, defaultPageSize = 50) {
  return (context: ValidationContext): ASTVisitor => {
    let total = 0;
    let reported = false;
    const multipliers: number[] = [1];
    return {
      Field: {
        enter(node) {
          const parent = multipliers[multipliers.length - 1];
          total += parent;
          multipliers.push(parent * pageSize(node, defaultPageSize));
          if (total > maxCost && !reported) {
            reported = true;
            context.reportError(
              new GraphQLError(`the query is too costly (estimated over ${maxCost}); select fewer fields or smaller pages`, {
                nodes: [node],
                extensions: { code: 'BAD_USER_INPUT' },
              }),
            );
          }
        },
        leave() {
          multipliers.pop();
        },
      },
    };
  };
}
