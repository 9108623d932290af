import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthChecks } from './health.js';

/** Health checks; the routes themselves are plain Fastify routes (see health.ts). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [HealthChecks],
})
export class OperationsModule {}
