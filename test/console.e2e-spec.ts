/**
 * The console as the service serves it: built assets at /console with a
 * single-page fallback, the development sign-in only when asked for, and the
 * served schema holding the fields the console's generated operations rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildASTSchema, isObjectType, parse, type GraphQLSchema } from 'graphql';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Tokens } from '@app/auth';
import { createApp } from '../apps/directory-api/src/bootstrap.js';
import type { ConsoleOptions } from '../apps/directory-api/src/console/serve-console.js';
import { loadApiConfig } from '../apps/directory-api/src/config.js';
import { createTestDatabase, type TestDatabase } from '@app/testing';

interface ConsoleApp {
  app: NestFastifyApplication;
  gql(token: string | null, query: string): Promise<{ status: number; data: Record<string, any> | null }>;
  close(): Promise<void>;
}

/** The service as main.ts builds it, with the console; `dev` gives it the development sign-in. */
async function startConsoleApp(database: TestDatabase, console: (tokens: Tokens) => ConsoleOptions): Promise<ConsoleApp> {
  const auditKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const config = loadApiConfig({ JWT_SECRET: randomBytes(32).toString('hex'), AUDIT_SIGNING_KEY: auditKey });
  const app = await createApp({
    config,
    database: { url: database.url, poolSize: database.poolSize },
    logger: false,
    scheduleCheckpoints: false,
    console: console(new Tokens(config.auth)),
  });
  return {
    app,
    async gql(token, query) {
      const response = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        payload: JSON.stringify({ query }),
      });
      return { status: response.statusCode, data: response.json<{ data?: Record<string, any> }>().data ?? null };
    },
    close: () => app.close(),
  };
}

let database: TestDatabase;
let withDev: ConsoleApp;
let withoutDev: ConsoleApp;
let assets: string;

beforeAll(async () => {
  assets = mkdtempSync(join(tmpdir(), 'console-assets-'));
  mkdirSync(join(assets, 'assets'));
  writeFileSync(join(assets, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(assets, 'assets', 'index-abc.js'), 'console.log(1)');
  database = await createTestDatabase();
  withDev = await startConsoleApp(database, (tokens) => ({ assetsDir: assets, devTokens: tokens }));
  withoutDev = await startConsoleApp(database, () => ({ assetsDir: assets }));
});

afterAll(async () => {
  await withDev?.close();
  await withoutDev?.close();
  await database?.drop();
  rmSync(assets, { recursive: true, force: true });
});

describe('serving', () => {
  it('serves the page at /console and at any deep link under it', async () => {
    for (const url of ['/console', '/console/', '/console/files/5b1d3a4e-0000-4000-8000-000000000000', '/console/exchanges']) {
      const response = await withoutDev.app.inject({ method: 'GET', url });
      expect([url, response.statusCode, response.headers['content-type']]).toEqual([url, 200, 'text/html; charset=utf-8']);
      expect(response.body).toContain('<div id="root">');
    }
  });

  it('serves hashed assets as immutable and answers 404 for a missing one', async () => {
    const found = await withoutDev.app.inject({ method: 'GET', url: '/console/assets/index-abc.js' });
    expect(found.statusCode).toBe(200);
    expect(found.headers['content-type']).toContain('javascript');
    expect(found.headers['cache-control']).toContain('immutable');
    const missing = await withoutDev.app.inject({ method: 'GET', url: '/console/assets/index-missing.js' });
    expect(missing.statusCode).toBe(404);
  });

  it('still requires a bearer token on /graphql', async () => {
    const response = await withoutDev.gql(null, '{ me { subject } }');
    expect(response.status).toBe(401);
  });
});

describe('development sign-in', () => {
  it('does not exist unless the service was given a token minter', async () => {
    const identities = await withoutDev.app.inject({ method: 'GET', url: '/console/dev/identities' });
    const token = await withoutDev.app.inject({
      method: 'POST',
      url: '/console/dev/token',
      payload: { departmentCode: 'chaoyang-civil-affairs-bureau', roles: ['MEMBER'] },
    });
    expect([identities.statusCode, token.statusCode]).toEqual([404, 404]);
  });

  it('lists the departments and mints a token the API accepts for the one picked', async () => {
    const identities = await withDev.app.inject({ method: 'GET', url: '/console/dev/identities' });
    const { departments } = identities.json<{ departments: { code: string; districtCode: string }[] }>();
    expect(departments).toContainEqual(expect.objectContaining({ code: 'chaoyang-civil-affairs-bureau', districtCode: 'chaoyang' }));

    const minted = await withDev.app.inject({
      method: 'POST',
      url: '/console/dev/token',
      payload: { departmentCode: 'chaoyang-civil-affairs-bureau', roles: ['STEWARD'], subject: 'li.na' },
    });
    expect(minted.statusCode).toBe(200);
    const me = await withDev.gql(minted.json<{ token: string }>().token, '{ me { subject roles department { code } } }');
    expect(me.data?.me).toEqual({ subject: 'li.na', roles: ['STEWARD'], department: { code: 'chaoyang-civil-affairs-bureau' } });
  });

  it('refuses an unknown department or role in words', async () => {
    const department = await withDev.app.inject({
      method: 'POST',
      url: '/console/dev/token',
      payload: { departmentCode: 'nowhere', roles: ['MEMBER'] },
    });
    const role = await withDev.app.inject({
      method: 'POST',
      url: '/console/dev/token',
      payload: { departmentCode: 'chaoyang-civil-affairs-bureau', roles: ['ROOT'] },
    });
    expect([department.statusCode, department.json<{ error: string }>().error]).toEqual([400, 'no department "nowhere"']);
    expect(role.statusCode).toBe(400);
  });
});

describe("the console's schema", () => {
  let served: GraphQLSchema;
  beforeAll(() => {
    served = withDev.app.get(GraphQLSchemaHost).schema;
  });

  it('the contract the console is generated from holds the fields it uses beyond the first contract, served with the same type', () => {
    const contract = readFileSync(new URL('../docs/api-contract.graphql', import.meta.url), 'utf8');
    const expected = buildASTSchema(parse(contract));
    const checked: string[] = [];
    for (const type of Object.values(expected.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const mine = served.getType(type.name);
      expect([type.name, isObjectType(mine)]).toEqual([type.name, true]);
      if (!isObjectType(mine)) continue;
      for (const field of Object.values(type.getFields())) {
        expect([type.name, field.name, String(mine.getFields()[field.name]?.type)]).toEqual([type.name, field.name, String(field.type)]);
        checked.push(`${type.name}.${field.name}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining(['Query.fileFacets', 'Query.auditPublicKeys', 'Permission.revokeReason', 'Mutation.grantScopePermission']),
    );
  });
});
