import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { Tokens } from '@app/auth';
import { DirectoryService } from '@app/directory';
import { findConsoleAssets } from './console-assets.js';
import { serveDevSignIn } from './dev-sign-in.js';

export const CONSOLE_PATH = '/console';

export interface ConsoleOptions {
  /** Mints development tokens for the sign-in page; give it only in embedded mode. */
  devTokens?: Tokens;
  /** The built console (index.html and assets/); found beside the service when not given. */
  assetsDir?: string;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Console not built</title>
<p>The console has not been built. Run <code>npm run build:console</code> (or <code>npm start</code>, which builds it when missing) and reload.</p>`;

/**
 * Serves the console's built assets at /console with a single-page fallback:
 * any /console path that is not a file gets index.html, so deep links work.
 * The console only talks to /graphql with a bearer token, like any client.
 */
export async function serveConsole(app: NestFastifyApplication, options: ConsoleOptions): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  if (options.devTokens) serveDevSignIn(fastify, CONSOLE_PATH, options.devTokens, app.get(DirectoryService));
  // Without it, the development paths answer 404 rather than the page, so the sign-in page offers only a pasted token.
  else
    fastify.all(`${CONSOLE_PATH}/dev/*`, (_request, reply) =>
      reply.code(404).send({ error: 'development sign-in is off: tokens come from the identity provider' }),
    );

  const dir = findConsoleAssets(options.assetsDir);
  if (!dir) {
    fastify.get(CONSOLE_PATH, (_request, reply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    fastify.get(`${CONSOLE_PATH}/*`, (_request, reply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }
  const index = readFileSync(join(dir, 'index.html'));
  const sendIndex = (_request: unknown, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  // Hashed file names: the assets never change under one name.
  await fastify.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: `${CONSOLE_PATH}/assets/`,
    decorateReply: false,
    maxAge: '365d',
    immutable: true,
  });
  fastify.get(CONSOLE_PATH, sendIndex);
  fastify.get(`${CONSOLE_PATH}/*`, sendIndex);
}
