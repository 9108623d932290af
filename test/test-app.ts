import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { Tokens, type DepartmentRef, type Role } from '@app/auth';
import { QueryCounter } from '@app/database';
import { createApp } from '../apps/directory-api/src/bootstrap.js';
import { loadApiConfig, type ApiConfig } from '../apps/directory-api/src/config.js';
import type { TestDatabase } from '@app/testing';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data: T | null;
  /** Without their request ids, so that two responses can be compared for what a caller learns from them. */
  errors?: { message: string; extensions?: { code?: string }; path?: string[] }[];
  /** The request id of each error, in order. */
  requestIds?: string[];
}

export interface TestApp {
  app: NestFastifyApplication;
  config: ApiConfig;
  tokens: Tokens;
  queries: QueryCounter;
  tokenFor(department: DepartmentRef | string, roles?: Role[], subject?: string): Promise<string>;
  gql<T = Record<string, any>>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/** The real service over HTTP (Fastify's inject), on a test database. */
export async function startTestApp(
  database: TestDatabase,
  env: Record<string, string> = {},
  logDestination?: DestinationStream,
): Promise<TestApp> {
  const auditKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const config = loadApiConfig({ JWT_SECRET: randomBytes(32).toString('hex'), AUDIT_SIGNING_KEY: auditKey, ...env });
  const tokens = new Tokens(config.auth);
  const queries = new QueryCounter();
  const app = await createApp({
    config,
    database: { url: database.url, poolSize: database.poolSize, logger: queries },
    logger: process.env.TEST_APP_LOGS === 'true',
    logDestination,
    scheduleCheckpoints: false,
  });
  return {
    app,
    config,
    tokens,
    queries,
    tokenFor: (department, roles = ['MEMBER'], subject = 'tester') =>
      tokens.mint({ subject, departmentCode: typeof department === 'string' ? department : department.code, roles }),
    async gql(token, query, variables) {
      const response = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        payload: JSON.stringify({ query, variables }),
      });
      const body = response.json<{ data?: any; errors?: (GraphQLResponse['errors'] & object)[number][] }>();
      const requestIds = body.errors?.map((e) => {
        const { requestId, ...rest } = (e.extensions ?? {}) as { requestId?: string };
        e.extensions = rest;
        return requestId!;
      });
      // Not enumerable: comparing two responses as JSON compares what a caller could learn from them.
      return Object.defineProperty({ status: response.statusCode, data: body.data ?? null, errors: body.errors }, 'requestIds', {
        value: requestIds,
      });
    },
    close: () => app.close(),
  };
}
