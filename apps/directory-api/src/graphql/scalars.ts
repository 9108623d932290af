import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { isCalendarDateTime, isZoneOffset } from '@app/common';
import { MAX_JSON_DEPTH } from './input-limits.js';

const badValue = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/** 64-bit integers travel as strings: JSON numbers lose precision past 2^53. */
export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: 'BigInt',
  description: '64-bit integer, serialized as a string',
  serialize(value) {
    if (typeof value === 'bigint' || typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value))) {
      return BigInt(value).toString();
    }
    throw new GraphQLError('BigInt cannot represent this value');
  },
  parseValue(value) {
    if ((typeof value === 'string' && /^-?\d{1,19}$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value))) {
      return BigInt(value);
    }
    throw badValue('BigInt expects an integer, as a string of digits');
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && /^-?\d{1,19}$/.test(ast.value)) return BigInt(ast.value);
    throw badValue('BigInt expects an integer, as a string of digits');
  },
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw badValue('JSON cannot represent this literal');
  }
}

/**
 * Refuses a value nested deeper than MAX_JSON_DEPTH, walking it without
 * recursion: a 100,000-deep value would overflow the stack of anything that
 * recursed over it later (JSON.stringify included).
 */
function checkJsonDepth(value: unknown): unknown {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw badValue(`JSON values may be nested at most ${MAX_JSON_DEPTH} levels deep`);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return value;
}

export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: `Any JSON value, nested at most ${MAX_JSON_DEPTH} levels deep`,
  serialize: (value) => value,
  parseValue: checkJsonDepth,
  parseLiteral: (ast, variables) => checkJsonDepth(literalToJson(ast, variables)),
});

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

function parseDateTime(value: unknown): Date {
  const parts = typeof value === 'string' ? ISO_DATE_TIME.exec(value) : null;
  const [year, month, day, hour, minute, second = 0] = (parts?.slice(1, 7) ?? []).map((p) => (p === undefined ? 0 : Number(p)));
  const at =
    parts && isZoneOffset(parts[7]) && isCalendarDateTime(year, month, day, hour, minute, second) ? new Date(value as string) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw badValue(
      `DateTime expects an ISO 8601 date and time with a zone that exists on the calendar (an offset of at most 15:59), such as 2026-09-01T00:00:00Z`,
    );
  }
  return at;
}

/** ISO 8601 date-times; unlike a bare `new Date(text)`, an impossible or malformed one is refused. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A date-time string at UTC, such as 2019-12-03T09:54:33Z, compliant with the date-time format.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return new Date(value).toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
