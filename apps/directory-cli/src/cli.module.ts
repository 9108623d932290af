import { Module } from '@nestjs/common';
import { DatabaseOnDemand } from './database-on-demand.js';
import { DistrictNewCommand } from './commands/district-new.command.js';
import { SeedCommand } from './commands/seed.command.js';
import { TokenCommand } from './commands/token.command.js';
import {
  AuditCheckpointCommand,
  AuditCheckReceiptCommand,
  AuditKeygenCommand,
  AuditReceiptCommand,
  AuditVerifyCommand,
} from './commands/audit.commands.js';
import { AuditBundleCommand, AuditConsistencyCommand, AuditWitnessCommand } from './commands/audit-remote.commands.js';

/** The CLI's commands, in the order --help lists them; the database and the domain's modules come on demand (DatabaseOnDemand). */
@Module({
  providers: [
    DatabaseOnDemand,
    DistrictNewCommand,
    SeedCommand,
    TokenCommand,
    AuditKeygenCommand,
    AuditVerifyCommand,
    AuditCheckpointCommand,
    AuditReceiptCommand,
    AuditCheckReceiptCommand,
    AuditConsistencyCommand,
    AuditBundleCommand,
    AuditWitnessCommand,
  ],
})
export class CliModule {}
