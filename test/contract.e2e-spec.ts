/**
 * The generated schema keeps every name and shape of docs/api-contract.graphql
 * (the contract clients rely on): it may add, never rename or loosen.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { createTestDatabase, type TestDatabase } from '@app/testing';
import { startTestApp, type TestApp } from './test-app.js';

let database: TestDatabase;
let api: TestApp;
let served: GraphQLSchema;
const contract = buildSchema(readFileSync(new URL('../docs/api-contract.graphql', import.meta.url), 'utf8'));

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestApp(database);
  served = api.app.get(GraphQLSchemaHost).schema;
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const contractTypes = Object.values(contract.getTypeMap()).filter(
  (t) => !t.name.startsWith('__') && !['String', 'Int', 'Boolean', 'ID', 'Float'].includes(t.name),
);

/** The kind of a named type, as introspection names it. */
const kindOf = (type: GraphQLNamedType | undefined | null): string =>
  isObjectType(type)
    ? 'OBJECT'
    : isInterfaceType(type)
      ? 'INTERFACE'
      : isUnionType(type)
        ? 'UNION'
        : isInputObjectType(type)
          ? 'INPUT_OBJECT'
          : isEnumType(type)
            ? 'ENUM'
            : isScalarType(type)
              ? 'SCALAR'
              : 'MISSING';

/** What a client may leave out: an added argument or input field must be one of these. */
const optional = (input: { type: GraphQLInputType; defaultValue?: unknown }) =>
  !isNonNullType(input.type) || input.defaultValue !== undefined;

it.each(contractTypes.map((t) => [t.name, t] as const))('%s is served as the contract defines it', (name, type) => {
  const mine = served.getType(name);
  expect([name, kindOf(mine)]).toEqual([name, kindOf(type)]);
  if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(mine) || isInterfaceType(mine))) {
    for (const field of Object.values(type.getFields())) {
      const servedField = mine.getFields()[field.name];
      expect([field.name, String(servedField?.type)]).toEqual([field.name, String(field.type)]);
      for (const arg of field.args) {
        const servedArg = servedField.args.find((a) => a.name === arg.name);
        expect([field.name, arg.name, String(servedArg?.type), servedArg?.defaultValue]).toEqual([
          field.name,
          arg.name,
          String(arg.type),
          arg.defaultValue,
        ]);
      }
      const added = servedField.args.filter((a) => !field.args.some((c) => c.name === a.name) && !optional(a));
      expect([field.name, added.map((a) => a.name)]).toEqual([field.name, []]);
    }
  } else if (isInputObjectType(type) && isInputObjectType(mine)) {
    const servedFields = mine.getFields();
    for (const field of Object.values(type.getFields())) {
      const servedField = servedFields[field.name];
      expect([field.name, String(servedField?.type), servedField?.defaultValue]).toEqual([
        field.name,
        String(field.type),
        field.defaultValue,
      ]);
    }
    const added = Object.values(servedFields).filter((f) => !type.getFields()[f.name] && !optional(f));
    expect(added.map((f) => f.name)).toEqual([]);
  } else if (isEnumType(type) && isEnumType(mine)) {
    expect(
      mine
        .getValues()
        .map((v) => v.name)
        .sort(),
    ).toEqual(
      type
        .getValues()
        .map((v) => v.name)
        .sort(),
    );
  } else if (isUnionType(type) && isUnionType(mine)) {
    expect(mine.getTypes().map((t) => t.name)).toEqual(expect.arrayContaining(type.getTypes().map((t) => t.name)));
  }
});
