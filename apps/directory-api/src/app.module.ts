import { Module, type DynamicModule } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'typeorm';
import { AccessModule, AccessService, MAX_PERMISSIONS_LISTED } from '@app/access';
import { CheckpointScheduler } from '@app/audit';
import { createDataSource } from '@app/database';
import { DirectoryModule, DirectoryService } from '@app/directory';
import { DomainModule } from '@app/domain';
import type { FastifyRequest } from 'fastify';
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
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
import { TextInputPipe } from './graphql/text-input.pipe.js';
import { MAX_FIELDS_PER_FILE } from '@app/directory';
import { ViewerResolver } from './viewer/viewer.resolver.js';
import { OperationsModule } from './operations/operations.module.js';
import { SupervisedCheckpointScheduler } from './operations/supervised-scheduler.js';

export const GRAPHQL_PATH = '/graphql';

export interface AppOptions {
  config: ApiConfig;
  /** Sign checkpoints in the background (off in tests that sign on demand). */
  scheduleCheckpoints?: boolean;
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

/** The real length of every unpaged list of objects, for pricing a query. */
async function listSizes(directory: DirectoryService): Promise<ListSizes> {
  const sizes = await directory.referenceSizes();
  return {
    'Query.districts': sizes.districts,
    'Query.departments': sizes.departments,
    'District.departments': sizes.largestDistrict,
    'DataFile.fields': MAX_FIELDS_PER_FILE,
    'Query.permissions': MAX_PERMISSIONS_LISTED,
    'AccessExplanation.permissions': MAX_PERMISSIONS_LISTED,
  };
}

@Module({})
export class AppModule {
  static register({ config, database, scheduleCheckpoints = true }: AppOptions): DynamicModule {
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
            }).initialize(),
        }),
        DomainModule.forRoot({ keys: config.auditKeys, checkpoints: config.checkpoints }),
        OperationsModule,
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          imports: [DirectoryModule, AccessModule],
          inject: [DirectoryService, AccessService],
          useFactory: (directory: DirectoryService, access: AccessService) => ({
            path: GRAPHQL_PATH,
            autoSchemaFile: true,
            sortSchema: true,
            buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
            graphiql: false,
            graphql: { parseOptions: { maxTokens: MAX_QUERY_TOKENS } },
            validationRules: [queryShapeRule(config.maxQueryDepth)],
            hooks: {
              preParsing: (_schema, source) => Promise.resolve(checkQueryText(source)),
              // Priced here rather than in validation: only now are the variables (page sizes) known.
              preExecution: async (schema, document, context, variables) => {
                const request = (context as { reply?: { request: FastifyRequest } }).reply?.request;
                if (request) request.graphql = { operation: operationLabel(document) };
                checkQueryCost(schema, document, variables, await listSizes(directory), config.maxQueryCost);
              },
            },
            errorFormatter,
            context: (request: FastifyRequest): GraphQLContext => ({
              scope: new RequestScope({ directory, access }, request.caller!),
              caller: request.caller!,
            }),
          }),
        }),
      ],
      providers: [
        { provide: APP_PIPE, useClass: TextInputPipe },
        ViewerResolver,
        DistrictsResolver,
        DepartmentsResolver,
        FilesResolver,
        FileFacetsResolver,
        ...AUDIT_RESOLVERS,
        PermissionsResolver,
        ExchangesResolver,
        ...(scheduleCheckpoints ? [{ provide: CheckpointScheduler, useClass: SupervisedCheckpointScheduler }] : []),
      ],
    };
  }
}
