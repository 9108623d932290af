import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** Whether the query selects `field` directly under the current field, through fragments too. */
export function selects(info: GraphQLResolveInfo, field: string): boolean {
  return selectsPath(info, [field]);
}

/** Whether the query selects the nested `path` (e.g. edges, node, fields) under the current field, through fragments too. */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const visit = (set: SelectionSetNode | undefined, depth: number): boolean =>
    !!set?.selections.some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === path[depth] && (depth === path.length - 1 || visit(s.selectionSet, depth + 1));
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet, depth);
      return visit(info.fragments[s.name.value]?.selectionSet, depth);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet, 0));
}
