import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'typeorm';
import { AccessService, PermissionsService } from '@app/access';
import { AuditKeys, AuditService, CheckpointScheduler, CheckpointScheduleSettings } from '@app/audit';
import { createDataSource } from '@app/database';
import { DirectoryService } from '@app/directory';
import { ExchangeService } from '@app/exchange';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from './config.js';
import { CallerGuard } from './context/auth.guard.js';
import { RequestScope, type GraphQLContext } from './context/request-scope.js';
import { DepartmentsResolver, DistrictsResolver } from './districts/districts.resolver.js';
import { AUDIT_RESOLVERS } from './audit/audit.resolver.js';
import { ExchangesResolver } from './exchanges/exchanges.resolver.js';
import { FilesResolver } from './files/files.resolver.js';
import { PermissionsResolver } from './permissions/permissions.resolver.js';
import { costLimitRule } from './graphql/cost-limit.rule.js';
import { depthLimitRule } from './graphql/depth-limit.rule.js';
import { errorFormatter } from './graphql/error-formatter.js';
import { ViewerResolver } from './viewer/viewer.resolver.js';

export const GRAPHQL_PATH = '/graphql';

export interface AppOptions {
  config: ApiConfig;
  /** Sign checkpoints in the background (off in tests that sign on demand). */
  scheduleCheckpoints?: boolean;
  database: { url: string; poolSize: number; logger?: Logger };
}

/** The domain services, shared by the resolvers and the GraphQL context. */
@Module({})
export class DomainModule {
  static register(config: ApiConfig): DynamicModule {
    const services = [DirectoryService, AccessService, AuditService, PermissionsService, ExchangeService];
    const settings = [
      { provide: AuditKeys, useValue: config.auditKeys },
      { provide: CheckpointScheduleSettings, useValue: new CheckpointScheduleSettings(config.checkpoints) },
    ];
    return { module: DomainModule, global: true, providers: [...services, ...settings], exports: [...services, ...settings] };
  }
}

@Module({})
export class AppModule {
  static register({ config, database, scheduleCheckpoints = true }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' as const }),
          dataSourceFactory: () => createDataSource({ ...database, applicationName: 'directory-api' }).initialize(),
        }),
        DomainModule.register(config),
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          inject: [DirectoryService, AccessService],
          useFactory: (directory: DirectoryService, access: AccessService) => ({
            path: GRAPHQL_PATH,
            autoSchemaFile: true,
            sortSchema: true,
            graphiql: false,
            validationRules: [depthLimitRule(config.maxQueryDepth), costLimitRule(config.maxQueryCost)],
            errorFormatter,
            context: (request: FastifyRequest): GraphQLContext => ({
              scope: new RequestScope({ directory, access }, request.claims!),
            }),
          }),
        }),
      ],
      providers: [
        { provide: APP_GUARD, useClass: CallerGuard },
        ViewerResolver,
        DistrictsResolver,
        DepartmentsResolver,
        FilesResolver,
        ...AUDIT_RESOLVERS,
        PermissionsResolver,
        ExchangesResolver,
        ...(scheduleCheckpoints ? [CheckpointScheduler] : []),
      ],
    };
  }
}
