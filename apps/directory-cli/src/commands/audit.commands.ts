import { Injectable } from '@nestjs/common';
import { Command, Option } from 'nest-commander';
import type { AuditService } from '@app/audit';
import { CliCommand, wholeNumber } from '../cli-command.js';
import { DatabaseOnDemand } from '../database-on-demand.js';

/** The audit commands on the service's database; the others (keygen, check-receipt) run offline. */
@Injectable() // for its constructor's parameter types, which the commands below inherit
abstract class AuditCommand<Options> extends CliCommand<Options> {
  constructor(private readonly database: DatabaseOnDemand) {
    super();
  }

  protected async withAudit<T>(work: (audit: AuditService) => Promise<T>): Promise<T> {
    const { AuditService } = await import('@app/audit');
    return this.database.withDomain((domain) => work(domain.get(AuditService)));
  }

  @Option({ flags: '--ledger <ledger>', description: 'one ledger (a district code, or platform)' })
  ledger(value: string): string {
    return value;
  }
}

@Command({ name: 'audit:keygen', description: 'print a new Ed25519 key pair for signing checkpoints' })
export class AuditKeygenCommand extends CliCommand {
  protected async execute(): Promise<void> {
    (await import('./audit.js')).keygen();
  }
}

@Command({ name: 'audit:verify', description: '[--ledger L]  verify every ledger (or one) against its chain and signed checkpoints' })
export class AuditVerifyCommand extends AuditCommand<{ ledger?: string }> {
  protected async execute(_: string[], options: { ledger?: string }): Promise<number> {
    const { verify } = await import('./audit.js');
    return this.withAudit((audit) => verify(audit, options));
  }
}

@Command({ name: 'audit:checkpoint', description: '[--ledger L]  sign checkpoints of the ledgers that grew' })
export class AuditCheckpointCommand extends AuditCommand<{ ledger?: string }> {
  protected async execute(_: string[], options: { ledger?: string }): Promise<void> {
    const { checkpoint } = await import('./audit.js');
    return this.withAudit((audit) => checkpoint(audit, options));
  }
}

interface ReceiptOptions {
  ledger?: string;
  seq?: number;
  out?: string;
}

@Command({ name: 'audit:receipt', description: '--ledger L --seq N [--out FILE]  write the receipt of an entry' })
export class AuditReceiptCommand extends AuditCommand<ReceiptOptions> {
  protected async execute(_: string[], { ledger, seq, out }: ReceiptOptions): Promise<void> {
    if (!ledger || seq === undefined) throw new Error('--ledger and --seq are required');
    const { receipt } = await import('./audit.js');
    return this.withAudit((audit) => receipt(audit, { ledger, seq, out }));
  }

  @Option({ flags: '--seq <n>', description: "the entry's sequence number in its ledger" })
  seq(value: string): number {
    return wholeNumber(value, 'seq', 1);
  }

  @Option({ flags: '--out <file>', description: 'where to write it (else the standard output)' })
  out(value: string): string {
    return value;
  }
}

@Command({
  name: 'audit:check-receipt',
  arguments: '[file]',
  argsDescription: { file: 'the receipt (JSON), as audit:receipt or the auditReceipt query gives it' },
  description: 'FILE --public-key KEY  verify a receipt offline, with no database',
})
export class AuditCheckReceiptCommand extends CliCommand<{ 'public-key'?: string }> {
  protected async execute([file]: string[], options: { 'public-key'?: string }): Promise<number> {
    return (await import('./audit.js')).checkReceipt(file, options);
  }

  @Option({ flags: '--public-key <key>', name: 'public-key', description: "the operator's public key: a PEM file or base64 SPKI" })
  publicKey(value: string): string {
    return value;
  }
}
