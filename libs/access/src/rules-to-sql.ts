/** The shape of CASL's condition AST (from rulesToAST), as far as we translate it. */
export interface ConditionNode {
  operator: string;
  value: unknown;
  field?: string;
}

export interface SqlFragment {
  sql: string;
  params: Record<string, unknown>;
}

const COMPARISON: Record<string, string> = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };

/**
 * Translates a CASL condition AST into a SQL boolean expression with named
 * parameters (TypeORM's `:name` form). Columns come from an explicit map, so a
 * field the map does not know, or an operator this does not support, throws
 * instead of silently widening access.
 */
export function conditionToSql(
  node: ConditionNode | null,
  columns: Record<string, string>,
  paramPrefix: string,
  /** Values that stand for a column rather than a constant (see audienceCondition). */
  symbols: Record<string, string> = {},
): SqlFragment {
  const params: Record<string, unknown> = {};
  let counter = 0;
  const param = (value: unknown): string => {
    if (typeof value === 'string' && Object.hasOwn(symbols, value)) return symbols[value];
    const name = `${paramPrefix}${counter++}`;
    params[name] = value;
    return `:${name}`;
  };
  const column = (field: string | undefined): string => {
    const sql = field === undefined ? undefined : columns[field];
    if (!sql) throw new Error(`no column is mapped for the rule field "${String(field)}"`);
    return sql;
  };
  const walk = (n: ConditionNode): string => {
    switch (n.operator) {
      case 'and':
      case 'or': {
        const parts = (n.value as ConditionNode[]).map(walk);
        if (parts.length === 0) return n.operator === 'and' ? 'TRUE' : 'FALSE';
        return `(${parts.join(n.operator === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `NOT (${walk(n.value as ConditionNode)})`;
      case 'in':
        return `${column(n.field)} = ANY(${param(n.value)})`;
      case 'nin':
        return `${column(n.field)} <> ALL(${param(n.value)})`;
      default: {
        const op = COMPARISON[n.operator];
        if (!op) throw new Error(`the rule operator "${n.operator}" has no SQL translation`);
        if (n.value === null) {
          if (n.operator === 'eq') return `${column(n.field)} IS NULL`;
          if (n.operator === 'ne') return `${column(n.field)} IS NOT NULL`;
        }
        return `${column(n.field)} ${op} ${param(n.value)}`;
      }
    }
  };
  // No rule allows the action: nothing matches.
  return { sql: node ? walk(node) : 'FALSE', params };
}
