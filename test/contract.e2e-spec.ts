/**
 * The generated schema keeps every name and shape of docs/api-contract.graphql
 * (the contract clients rely on): it may add, never rename or loosen.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchema, isEnumType, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { createTestDatabase, type TestDatabase } from './test-database.js';
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

const contractTypes = Object.values(contract.getTypeMap()).filter((t) => !t.name.startsWith('__') && !['String', 'Int', 'Boolean', 'ID', 'Float'].includes(t.name));

it.each(contractTypes.map((t) => [t.name, t] as const))('%s is served as the contract defines it', (name, type) => {
  const mine = served.getType(name);
  expect(mine?.name).toBe(name);
  if (isObjectType(type) && isObjectType(mine)) {
    for (const field of Object.values(type.getFields())) {
      const served = mine.getFields()[field.name];
      expect([field.name, String(served?.type)]).toEqual([field.name, String(field.type)]);
      for (const arg of field.args) {
        const servedArg = served.args.find((a) => a.name === arg.name);
        expect([field.name, arg.name, String(servedArg?.type), servedArg?.defaultValue]).toEqual([field.name, arg.name, String(arg.type), arg.defaultValue]);
      }
    }
  } else if (isInputObjectType(type) && isInputObjectType(mine)) {
    for (const field of Object.values(type.getFields())) {
      expect([field.name, String(mine.getFields()[field.name]?.type)]).toEqual([field.name, String(field.type)]);
    }
  } else if (isEnumType(type) && isEnumType(mine)) {
    expect(mine.getValues().map((v) => v.name).sort()).toEqual(type.getValues().map((v) => v.name).sort());
  }
});
