/**
 * Fuzzing every argument of every operation the schema serves, as every role:
 * whatever the input, the answer is a coded client error or data, never a
 * 500, an INTERNAL_SERVER_ERROR, a stack, SQL or a path. The operations are
 * read from the served schema, so a new one is fuzzed without editing this.
 * FUZZ_RUNS sets the number of requests per operation (default 12).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { Role } from '@app/auth';
import { encodeCursor } from '@app/common';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';
import { World, type WorldFile } from './world.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const ROLES: Role[][] = [['MEMBER'], ['STEWARD'], ['DISTRICT_ADMIN'], ['PLATFORM_ADMIN'], ['AUDITOR']];

let database: TestDatabase;
let api: TestApp;
let schema: GraphQLSchema;
let file: WorldFile;
let tokens: string[];

beforeAll(async () => {
  database = await createTestDatabase();
  const world = new World(await database.dataSource());
  const owner = await world.department('fz-health', await world.district('fz-east'));
  file = await world.file(owner, 'RESTRICTED');
  api = await startTestApp(database, { RATE_LIMIT_PER_MINUTE: '1000000' });
  schema = api.app.get(GraphQLSchemaHost).schema;
  tokens = await Promise.all(ROLES.map((roles) => api.tokenFor(owner, roles, `fuzzer-${roles[0].toLowerCase()}`)));
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const UUID = '6b1c2a4e-7f0e-4d55-9a51-4b3c2d1e0f9a';

/** Text an attacker would try: control characters, broken Unicode, SQL and JSON fragments, huge and empty strings. */
const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    "'; DROP TABLE data_file; --",
    '%',
    '_',
    '\\',
    '{"$gt": ""}',
    '1e39',
    '2024-02-30T00:00:00Z',
    'NaN',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '🙂'.repeat(100),
    'x'.repeat(5_000),
    encodeCursor(['2024-02-30 10:00:00+00', UUID]),
    encodeCursor([1e39, UUID]),
    encodeCursor([-1, 'x']),
    'bm90IGpzb24',
  ),
);

const ids = () => fc.oneof(fc.constant(UUID), fc.constant(file.id), fc.uuid(), nastyText);

const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom({ a: '\u0000' }, { '\u0000': 1 }, ['\ud800'], { record_id: 'x'.repeat(10_000) }, 1e308, -0),
  fc.nat({ max: 60 }).map((depth) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i += 1) value = [value];
    return value;
  }),
);

function valueFor(type: GraphQLInputType, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueFor(type.ofType, name, depth);
  const nullable = (arb: fc.Arbitrary<unknown>) => fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });
  if (isListType(type)) return nullable(fc.array(valueFor(type.ofType, name, depth + 1), { maxLength: depth ? 3 : 6 }));
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    return nullable(fc.record(Object.fromEntries(fields.map((f) => [f.name, valueFor(f.type, f.name, depth + 1)])), { requiredKeys: [] }));
  }
  if (isEnumType(type)) return nullable(fc.oneof(fc.constantFrom(...type.getValues().map((v) => v.value as string)), nastyText));
  switch (type.name) {
    case 'Int':
      return nullable(fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 200, 201, 2 ** 31 - 1, -(2 ** 31)), fc.double(), nastyText));
    case 'Boolean':
      return nullable(fc.oneof(fc.boolean(), nastyText));
    case 'ID':
      return nullable(ids());
    case 'BigInt':
      return nullable(fc.oneof(fc.bigInt().map(String), fc.constantFrom('0', '-1', '9'.repeat(30), '1', '2'), fc.integer(), nastyText));
    case 'DateTime':
      return nullable(
        fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          nastyText,
        ),
      );
    case 'JSON':
      return jsonValue;
    default:
      return nullable(name === 'ledger' ? fc.oneof(fc.constantFrom('platform', 'fz-east', 'beijing'), nastyText) : nastyText);
  }
}

/** Every scalar field of the returned type, and __typename for nested objects: enough to serialize what resolvers return. */
function selectionFor(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) || depth > 0) return '{ __typename }';
  const parts = Object.values(named.getFields())
    .filter((f) => !f.args.some((a) => isNonNullType(a.type)))
    .map((f) => (isLeafType(getNamedType(f.type)) ? f.name : `${f.name} ${selectionFor(f.type, depth + 1)}`));
  return `{ __typename ${parts.join(' ')} }`;
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${kind}${variables ? ` (${variables})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selectionFor(field.type)} }`;
}

function expectNoServerError(
  response: { status: number; errors?: { message: string; extensions?: { code?: string } }[] },
  context: string,
) {
  const summary = `${context} -> ${response.status} ${JSON.stringify(response.errors ?? []).slice(0, 400)}`;
  expect({ summary, status: response.status < 500 }).toEqual({ summary, status: true });
  for (const error of response.errors ?? []) {
    expect({ summary, code: error.extensions?.code }).not.toEqual({ summary, code: 'INTERNAL_SERVER_ERROR' });
    expect(error.message).not.toMatch(/\bat \w+ \(|node_modules|\/src\/|invalid byte sequence|syntax error at/i);
    expect(error.message).not.toMatch(/SELECT |INSERT |UPDATE |DELETE /);
  }
}

describe('every argument of every operation', () => {
  const operations = () => [
    ...Object.values(schema.getQueryType()!.getFields()).map((f) => ['query', f] as const),
    ...Object.values(schema.getMutationType()!.getFields()).map((f) => ['mutation', f] as const),
  ];

  it('covers every operation the schema serves', () => {
    expect(operations().length).toBeGreaterThanOrEqual(20);
  });

  it('answers every input with data or a coded client error', async () => {
    for (const [kind, field] of operations()) {
      const query = operationFor(kind, field);
      const variables = fc.record(Object.fromEntries(field.args.map((a) => [a.name, valueFor(a.type, a.name)])), { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(variables, fc.nat({ max: ROLES.length - 1 }), async (vars, role) => {
          expectNoServerError(await api.gql(tokens[role], query, vars), `${field.name} ${JSON.stringify(vars).slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
    }
  });
});

const queryText = (payload: unknown): string | undefined => {
  const query = (payload as { query?: unknown } | null)?.query;
  return query === undefined ? undefined : typeof query === 'string' ? query : JSON.stringify(query);
};

/** Every UTF-8 byte percent-encoded, as a client would send it (a lone surrogate becomes U+FFFD). */
const percentEncoded = (text: string) => [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

describe('malformed requests', () => {
  it.each([
    '%ZZ',
    '%ED%A0%80',
    '%00',
    '%7B%20me%20%7B%20subject%20%7D%20%7D&variables=%7Bx',
    '{me{subject}}&variables=[1]&operationName=1',
  ])('GET ?query=%s', async (query) => {
    const response = await api.app.inject({
      method: 'GET',
      url: `/graphql?query=${query}`,
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    expect(response.statusCode).toBeLessThan(500);
  });

  it('any JSON body, any query text, any method: never a 500', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          query: fc.oneof(nastyText, fc.jsonValue({ maxDepth: 2 })),
          variables: fc.jsonValue({ maxDepth: 2 }),
          operationName: fc.jsonValue({ maxDepth: 1 }),
          extensions: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
      fc.string({ maxLength: 60 }).map((text) => ({ query: `{ ${text} }` })),
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom('POST', 'GET', 'PUT'),
        fc.constantFrom('application/json', 'application/graphql', 'text/plain', 'application/x-www-form-urlencoded'),
        async (payload, method, type) => {
          const text = typeof payload === 'string' && type !== 'application/json' ? payload : JSON.stringify(payload);
          const response = await api.app.inject({
            method,
            url: method === 'GET' ? `/graphql?query=${percentEncoded(queryText(payload) ?? text)}` : '/graphql',
            headers: { authorization: `Bearer ${tokens[0]}`, ...(method === 'GET' ? {} : { 'content-type': type }) },
            ...(method === 'GET' ? {} : { payload: text }),
          });
          expect({ status: response.statusCode < 500, body: response.statusCode < 500 ? '' : response.body }).toEqual({
            status: true,
            body: '',
          });
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });
});
