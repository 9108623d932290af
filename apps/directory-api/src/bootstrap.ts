import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Tokens } from '@app/auth';
import { AppModule, GRAPHQL_PATH, type AppOptions } from './app.module.js';
import { REQUEST_BODY_LIMIT_MIB } from './graphql/error-formatter.js';
import { requireBearerToken } from './graphql/graphql-auth.hook.js';
import { serveGraphiql } from './graphql/graphiql.js';
import { serveConsole, type ConsoleOptions } from './console/serve-console.js';

/** Builds the service, ready to listen; the e2e tests use it as main.ts does. */
export async function createApp(options: AppOptions & { graphiqlHeaders?: string; logger?: boolean; console?: ConsoleOptions }): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: REQUEST_BODY_LIMIT_MIB * 1024 * 1024 });
  requireBearerToken(adapter.getInstance(), new Tokens(options.config.auth), GRAPHQL_PATH);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(options), adapter, {
    logger: options.logger === false ? false : ['error', 'warn', 'log'],
  });
  if (options.config.graphiql) serveGraphiql(adapter.getInstance(), GRAPHQL_PATH, options.graphiqlHeaders);
  if (options.console) await serveConsole(app, options.console);
  await app.init();
  await adapter.getInstance().ready();
  return app;
}
