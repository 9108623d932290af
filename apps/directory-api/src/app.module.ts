import { Module, type DynamicModule } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'typeorm';
import { AccessModule, AccessService, MAX_GRANTS_EXPLAINED } from '@app/access';
import { CheckpointScheduler } from '@app/audit';
import { createDataSource, readFromReplicas } from '@app/database';
import { DirectoryModule, DirectoryService } from '@app/directory';
import { DomainModule } from '@app/domain';
import { EventsModule } from '@app/events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, Kind, OperationTypeNode, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { ApiConfig } from './config.js';
import { RequestScope, type GraphQLContext } from './context/request-scope.js';
import { DepartmentsResolver, DistrictsResolver } from './districts/districts.resolver.js';
import { AUDIT_RESOLVERS } from './audit/audit.resolver.js';
import { ExchangesResolver } from './exchanges/exchanges.resolver.js';
import { FilesResolver } from './files/files.resolver.js';
import { FileFacetsResolver } from './files/file-facets.resolver.js';
import { PermissionsResolver } from './permissions/permissions.resolver.js';
import { errorFormatter } from './graphql/error-formatter.js';
import { MAX_QUERY_TOKENS } from './graphql/input-limits.js';
import { checkQueryCost, type ListSizes } from './graphql/query-cost.js';
import { checkQueryText, queryShapeRule } from './graphql/query-shape.rule.js';
import { DateTimeScalar } from './graphql/scalars.js';
import { checkVariableSizes, mayHoldLargeVariables, variablesOf } from './graphql/variable-limits.js';
import { TextInputPipe } from './graphql/text-input.pipe.js';
import { FairShare, shareKey } from './http/fair-share.js';
import { RecentWriters, WriteNotices } from './http/read-your-writes.js';
import { MAX_FIELD_CHANGES, MAX_FIELDS_PER_FILE } from '@app/directory';
import { ViewerResolver } from './viewer/viewer.resolver.js';
import { EventsResolver } from './events/events.resolver.js';
import { FeedSubscriptionsResolver } from './events/feed-subscriptions.resolver.js';
import { subscriptionOptions } from './events/subscription-auth.js';
import { ExpiryNoticeSchedule } from './events/expiry-notice.schedule.js';
import { checkSubscriptionDocument } from './events/subscription-checks.js';
import { subscriptionCharges } from './events/subscription-cost.js';
import { Tokens } from '@app/auth';
import { OperationsModule } from './operations/operations.module.js';
import { SupervisedCheckpointScheduler } from './operations/supervised-scheduler.js';
import { dataFileResolvers } from './files/data-file.resolvers.js';

export const GRAPHQL_PATH = '/graphql';

export interface AppOptions {
  config: ApiConfig;
  /** Sign checkpoints in the background (off in tests that sign on demand). */
  scheduleCheckpoints?: boolean;
  /** Announce grants about to expire in the background (by default as scheduleCheckpoints: off in tests). */
  announceExpiringGrants?: boolean;
  database: { url: string; poolSize: number; logger?: Logger };
}

/** The operation's name, else its top-level fields: what the request log line and metrics report. */
function operationLabel(document: DocumentNode): string {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return 'unknown';
  if (operation.name) return operation.name.value;
  const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  return `${operation.operation} ${[...new Set(fields)].slice(0, 5).join(',')}`;
}

/** A read: its resolvers take connections one call at a time, outside transactions (see drawConnectionsFrom). */
const isQuery = (document: DocumentNode): boolean =>
  document.definitions.some(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.QUERY,
  );

/** Only queries: a document that also holds a mutation or subscription is not read from a replica. */
const onlyQueries = (document: DocumentNode): boolean =>
  document.definitions.every((d) => d.kind !== Kind.OPERATION_DEFINITION || d.operation === OperationTypeNode.QUERY);

/**
 * HTTP runs queries and mutations; a subscription sent there would run once
 * with no event to deliver, and fail inside the driver. It is refused with
 * where to send it instead.
 */
function refuseSubscriptionOverHttp(document: DocumentNode): void {
  if (document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.SUBSCRIPTION)) {
    throw new GraphQLError(`subscriptions are served over WebSocket (graphql-ws) at ${GRAPHQL_PATH}, not over HTTP`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
}

/** The real length of every unpaged list of objects, for pricing a query. */
async function listSizes(directory: DirectoryService): Promise<ListSizes> {
  const sizes = await directory.referenceSizes();
  return {
    'Query.districts': sizes.districts,
    'Query.departments': sizes.departments,
    'District.departments': sizes.largestDistrict,
    'DataFile.fields': MAX_FIELDS_PER_FILE,
    'SchemaChange.changes': MAX_FIELD_CHANGES,
    'AccessExplanation.permissions': MAX_GRANTS_EXPLAINED,
  };
}

@Module({})
export class AppModule {
  static register({
    config,
    database,
    scheduleCheckpoints = true,
    announceExpiringGrants = scheduleCheckpoints,
  }: AppOptions): DynamicModule {
    // One per service: the GraphQL hooks spend from it, the HTTP hooks hold its turns (bootstrap).
    const fairShare = new FairShare(config.fairShare);
    // Subscriptions spend from the same budget: their start, then each event.
    const subscriptionCost = subscriptionCharges(fairShare, config.maxQueryCost);
    const checkSubscription = checkSubscriptionDocument(config.maxQueryDepth);
    // With read replicas: a department's reads stay on the primary while its own writes may not have reached them.
    const replicated = config.replicas.urls.length > 0;
    const recentWriters = new RecentWriters(config.replicas.readYourWritesMs);
    const writing = new WeakSet<FastifyRequest>();
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' as const }),
          dataSourceFactory: () =>
            createDataSource({
              ...database,
              applicationName: 'directory-api',
              statementTimeoutMs: config.statementTimeoutMs,
              acquireTimeoutMs: config.acquireTimeoutMs,
              serialPlans: true,
              genericPlans: true,
              replicaUrls: config.replicas.urls,
            }).initialize(),
        }),
        DomainModule.forRoot({ keys: config.auditKeys, checkpoints: config.checkpoints }),
        OperationsModule,
        EventsModule,
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          imports: [DirectoryModule, AccessModule],
          inject: [DirectoryService, AccessService],
          useFactory: (directory: DirectoryService, access: AccessService) => ({
            path: GRAPHQL_PATH,
            autoSchemaFile: true,
            sortSchema: true,
            buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
            resolvers: { DataFile: dataFileResolvers },
            graphiql: false,
            // A query seen once is compiled by graphql-jit on its second run: the directory's pages are a few
            // shapes asked for again and again, and compiled execution allocates far less per field.
            jit: 1,
            graphql: { parseOptions: { maxTokens: MAX_QUERY_TOKENS } },
            validationRules: [queryShapeRule(config.maxQueryDepth)],
            hooks: {
              preParsing: (schema, source, context) => {
                checkQueryText(source);
                // Before the driver coerces the variables, which it does before any later hook (see checkVariableSizes).
                const request = (context as { reply?: FastifyReply }).reply?.request;
                if (request && mayHoldLargeVariables(request)) checkVariableSizes(schema, parse(source), variablesOf(request));
                return Promise.resolve();
              },
              preValidation: (_schema, document) => Promise.resolve(refuseSubscriptionOverHttp(document)),
              preSubscriptionExecution: async (schema, document, context) => {
                await checkSubscription(schema, document);
                await subscriptionCost.start(schema, document, context, await listSizes(directory));
              },
              onSubscriptionResolution: (execution, context) => subscriptionCost.event(execution, context),
              // The read-your-writes window counts from the end of a mutation, i.e. after its commit.
              onResolution: async (_execution, context) => {
                const request = (context as { reply?: FastifyReply }).reply?.request;
                const department = replicated && request && shareKey(request);
                if (department && writing.has(request)) await recentWriters.wrote(department);
              },
              // Priced here rather than in validation: only now are the variables (page sizes) known.
              preExecution: async (schema, document, context, variables) => {
                const reply = (context as { reply?: FastifyReply }).reply;
                const request = reply?.request;
                const department = request && shareKey(request);
                // Before any await, so that the execution that follows draws from it.
                const draw = department && isQuery(document) ? fairShare.drawConnections(department) : undefined;
                if (replicated && department) {
                  if (!onlyQueries(document)) {
                    recentWriters.mark(department);
                    writing.add(request);
                  } else if (!recentWriters.wroteRecently(department)) readFromReplicas();
                }
                if (request) request.graphql = { operation: operationLabel(document) };
                const cost = checkQueryCost(schema, document, variables, await listSizes(directory), config.maxQueryCost);
                if (department) {
                  await fairShare.spend(department, cost, reply);
                  request.leaveHeavyLane = await fairShare.enterHeavyLane(department, cost, draw);
                }
              },
            },
            errorFormatter,
            subscription: subscriptionOptions(new Tokens(config.auth), directory),
            context: (request: FastifyRequest): GraphQLContext => ({
              scope: new RequestScope({ directory, access }, request.caller!),
              caller: request.caller!,
            }),
          }),
        }),
      ],
      providers: [
        { provide: APP_PIPE, useClass: TextInputPipe },
        { provide: FairShare, useValue: fairShare },
        ...(replicated ? [{ provide: RecentWriters, useValue: recentWriters }, WriteNotices] : []),
        ViewerResolver,
        DistrictsResolver,
        DepartmentsResolver,
        FilesResolver,
        FileFacetsResolver,
        ...AUDIT_RESOLVERS,
        PermissionsResolver,
        ExchangesResolver,
        EventsResolver,
        FeedSubscriptionsResolver,
        ...(scheduleCheckpoints ? [{ provide: CheckpointScheduler, useClass: SupervisedCheckpointScheduler }] : []),
        ...(announceExpiringGrants ? [ExpiryNoticeSchedule] : []),
      ],
    };
  }
}
