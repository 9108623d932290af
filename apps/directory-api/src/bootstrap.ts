import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { guardSubscriptionMessages } from './events/subscription-guard.js';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { AccessService } from '@app/access';
import { Tokens } from '@app/auth';
import { DirectoryService } from '@app/directory';
import { AppModule, GRAPHQL_PATH, type AppOptions } from './app.module.js';
import { isGraphQL, requireBearerToken, resolveCaller } from './graphql/graphql-auth.hook.js';
import { sendRefusal } from './graphql/error-formatter.js';
import { serveGraphiql } from './graphql/graphiql.js';
import { MAX_WEBSOCKET_MESSAGE_KIB, REQUEST_BODY_LIMIT_MIB } from './graphql/input-limits.js';
import { serveConsole, type ConsoleOptions } from './console/serve-console.js';
import { FairShare, holdFairShare } from './http/fair-share.js';
import { parseJsonWithinNesting } from './http/json-body.js';
import { PinoNestLogger } from './pino-nest-logger.js';
import { HEALTH_PATHS, HealthChecks, serveHealth } from './operations/health.js';
import { METRICS_PATH, ServiceMetrics, serveMetrics } from './operations/metrics.js';
import { closeConnectionsOnShutdown } from './operations/shutdown.js';

/** A client's own X-Request-Id is kept when it is a plain token; anything else gets a fresh one. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** JSON lines for machines; readable lines when a person watches a terminal in development. */
function createLogger(level: string, pretty: boolean, destination?: DestinationStream): PinoLogger {
  const options = {
    level,
    // Never log what a request carries: tokens and records stay out of the logs.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'variables', 'records'], remove: true },
    ...(pretty && !destination
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
  // Buffered: a write per line costs more than the request it describes when a flood is being refused.
  // Up to 4 KiB of the latest lines can be lost if the process is killed outright.
  return pino(options, destination ?? (pretty ? undefined : pino.destination({ dest: 1, sync: false, minLength: 4096 })));
}

/**
 * The shape GraphQL over HTTP gives a POST body, checked before the driver's
 * schema, which would coerce a number or a list into a query string. Null
 * "extensions" is allowed, as the specification says, and then dropped.
 */
function checkRequestBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the request body must be a JSON object with a "query" string';
  const fields = body as Record<string, unknown>;
  if (typeof fields.query !== 'string') return 'query must be a string holding a GraphQL document';
  if (fields.variables != null && (typeof fields.variables !== 'object' || Array.isArray(fields.variables)))
    return 'variables must be a JSON object';
  if (fields.operationName != null && typeof fields.operationName !== 'string') return 'operationName must be a string';
  if (fields.extensions === null) delete fields.extensions;
  else if (fields.extensions !== undefined && (typeof fields.extensions !== 'object' || Array.isArray(fields.extensions)))
    return 'extensions must be a JSON object';
  return undefined;
}

const UNLIMITED_PATHS = new Set<string>([...Object.values(HEALTH_PATHS), METRICS_PATH]);

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/**
 * A client that accepts application/graphql-response+json (GraphQL over HTTP)
 * gets that content type, and a request that failed before execution carries
 * no "data" entry. Plain application/json keeps the same status codes: 4xx for
 * a client's mistake, which proxies and monitoring understand.
 */
function asGraphQLResponse(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  const accept = request.headers.accept ?? '';
  if (!accept.includes(GRAPHQL_RESPONSE) || !String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload;
  reply.header('content-type', `${GRAPHQL_RESPONSE}; charset=utf-8`);
  if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
  const body = JSON.parse(payload) as { data?: unknown };
  if (body.data === null) delete body.data;
  return JSON.stringify(body);
}

/** A GET request's parameters as a POST body would carry them; undefined where a JSON parameter does not parse. */
function searchParams(query: unknown): Record<string, unknown> {
  const params = { ...(query as Record<string, unknown>) };
  for (const name of ['variables', 'extensions']) {
    if (typeof params[name] !== 'string') continue;
    try {
      params[name] = JSON.parse(params[name]);
    } catch {
      params[name] = 'not JSON';
    }
  }
  return params;
}

/**
 * An error made without capturing the stack: a refusal is expected and never
 * logged with one, and a flood of refusals should cost as little as possible
 * (capturing and formatting the stack was the largest cost of a 429).
 */
function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The methods GraphQL over HTTP serves; any other is 405 in GraphQL's error shape, before its body is read. */
const GRAPHQL_METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS']);

function refuseOtherMethods(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isGraphQL(request, GRAPHQL_PATH) || GRAPHQL_METHODS.has(request.method)) return;
    reply.header('allow', 'GET, POST');
    const error = new GraphQLError(`${request.method} is not served here; send GraphQL with POST (or queries with GET)`, {
      extensions: { code: 'METHOD_NOT_ALLOWED' },
    });
    return sendRefusal(request, reply, 405, error);
  });
}

/** Builds the service, ready to listen; the e2e tests use it as main.ts does. */
export async function createApp(
  options: AppOptions & { graphiqlHeaders?: string; logger?: boolean; logDestination?: DestinationStream; console?: ConsoleOptions },
): Promise<NestFastifyApplication> {
  const { config } = options;
  const quiet = options.logger === false && !options.logDestination;
  const logger = createLogger(
    quiet ? 'silent' : config.logLevel,
    !quiet && process.stdout.isTTY && !config.production,
    options.logDestination,
  );
  const adapter = new FastifyAdapter({
    bodyLimit: REQUEST_BODY_LIMIT_MIB * 1024 * 1024,
    requestTimeout: config.requestTimeoutMs,
    // Given to Node's server as it is made: set afterwards, as Fastify does, a request timeout shorter than the
    // headers' (60 s) is not checked. Node checks for timed-out requests only every connectionsCheckingInterval.
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, Math.max(500, Math.floor(config.requestTimeoutMs / 4))),
    },
    loggerInstance: logger,
    // Our own onResponse line replaces Fastify's two lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (raw: { headers: Record<string, string | string[] | undefined> }) => {
      const given = raw.headers['x-request-id'];
      return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const fastify = adapter.getInstance();
  // Registered here, not by the GraphQL driver, so that the subscription guard below reaches its server.
  await fastify.register(websocket, { options: { maxPayload: MAX_WEBSOCKET_MESSAGE_KIB * 1024 } });
  const metrics = new ServiceMetrics();
  closeConnectionsOnShutdown(fastify);
  refuseOtherMethods(fastify);
  parseJsonWithinNesting(fastify);
  const tokens = new Tokens(config.auth);
  requireBearerToken(fastify, tokens, GRAPHQL_PATH);
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return isGraphQL(request, GRAPHQL_PATH) ? asGraphQLResponse(request, reply, payload) : payload;
  });
  fastify.addHook('preValidation', async (request, reply) => {
    if (!isGraphQL(request, GRAPHQL_PATH)) return;
    const fault = request.method === 'GET' ? checkRequestBody(searchParams(request.query)) : checkRequestBody(request.body);
    if (fault) return sendRefusal(request, reply, 400, new GraphQLError(fault, { extensions: { code: 'BAD_USER_INPUT' } }));
  });
  // One line per request: who, what, how long, and the outcome code; never the token or the data.
  fastify.addHook('onResponse', async (request, reply) => {
    if (!isGraphQL(request, GRAPHQL_PATH)) return;
    const operation = request.graphql?.operation;
    const outcome = request.graphql?.outcome ?? (reply.statusCode < 400 ? 'OK' : String(reply.statusCode));
    metrics.observeRequest(operation, outcome, reply.elapsedTime);
    request.log.info(
      { department: request.claims?.departmentCode, operation, outcome, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(options), adapter, {
    // Bodies are parsed by Fastify's parsers, JSON behind a nesting scan (parseJsonWithinNesting).
    bodyParser: false,
    logger: quiet ? false : new PinoNestLogger(logger),
  });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Probes and scrapes must never be refused.
    allowList: (request: FastifyRequest) => UNLIMITED_PATHS.has(request.url.split('?')[0]),
    onExceeded: () => metrics.countRateLimited(),
    // Per department: its members share one budget, so one department cannot crowd out the others.
    keyGenerator: (request: FastifyRequest) => (request.claims ? `dept:${request.claims.departmentCode}` : `ip:${request.ip}`),
    // Thrown into the GraphQL driver's error path, where the formatter gives it its code and status.
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        withoutStack(
          () =>
            new Error(`too many requests from your department (over ${context.max} a minute); retry in ${Math.ceil(context.ttl / 1000)} s`),
        ),
        {
          statusCode: context.statusCode,
          code: 'RATE_LIMITED',
        },
      ),
  });
  const [directory, access] = [app.get(DirectoryService), app.get(AccessService)];
  resolveCaller(fastify, { directory, access }, GRAPHQL_PATH);
  holdFairShare(fastify, app.get(FairShare), GRAPHQL_PATH);
  serveHealth(fastify, app.get(HealthChecks));
  metrics.watch(app.get(DataSource), () => {
    const listings = directory.keptListings();
    return [
      { cache: 'access_rules', ...access.keptRules() },
      { cache: 'listing_totals', ...listings.totalCounts },
      { cache: 'search_matches', ...listings.searchMatches },
    ];
  });
  serveMetrics(fastify, metrics, { token: config.metricsToken, production: config.production });
  if (config.graphiql) serveGraphiql(fastify, GRAPHQL_PATH, options.graphiqlHeaders);
  if (options.console) await serveConsole(app, options.console);
  await app.init();
  await fastify.ready();
  const graphql = fastify as unknown as { graphql: { schema: GraphQLSchema } };
  guardSubscriptionMessages(fastify, () => graphql.graphql.schema, config.rateLimitPerMinute, tokens);
  return app;
}
