import { Command, Option } from 'nest-commander';
import { CliCommand, collect } from '../cli-command.js';

/** The commands that check the service from outside, over its GraphQL API, as a department or a witness would: no database. */
interface RemoteOptions {
  url?: string;
  token?: string;
}

abstract class RemoteCommand<Options extends RemoteOptions> extends CliCommand<Options> {
  @Option({ flags: '--url <url>', description: "the service's GraphQL endpoint" })
  url(value: string): string {
    return value;
  }

  @Option({ flags: '--token <token>', description: 'a bearer token of an auditor (else AUDIT_TOKEN)' })
  token(value: string): string {
    return value;
  }
}

type ConsistencyOptions = RemoteOptions & { 'public-key'?: string[] };

@Command({
  name: 'audit:consistency',
  arguments: '[file]',
  argsDescription: { file: 'a kept receipt or checkpoint (JSON)' },
  description:
    "FILE --url URL --public-key KEY [--token T]  does the service's log today extend a kept receipt or checkpoint? (exit 1: no)",
})
export class AuditConsistencyCommand extends RemoteCommand<ConsistencyOptions> {
  protected async execute([file]: string[], options: ConsistencyOptions): Promise<number> {
    return (await import('./audit-consistency.js')).consistency(file, options);
  }

  @Option({
    flags: '--public-key <key>',
    name: 'public-key',
    description: "the operator's public key (a PEM file or base64 SPKI); once per key",
  })
  publicKey(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }
}

type BundleOptions = RemoteOptions & { out?: string };

@Command({
  name: 'audit:bundle',
  description: "--url URL [--token T] [--out FILE]  fetch every ledger's latest signed checkpoint and the platform's, to keep",
})
export class AuditBundleCommand extends RemoteCommand<BundleOptions> {
  protected async execute(_: string[], options: BundleOptions): Promise<number> {
    return (await import('./audit-bundle.js')).bundle(options);
  }

  @Option({ flags: '--out <file>', description: 'where to write it (else the standard output)' })
  out(value: string): string {
    return value;
  }
}

type WitnessOptions = RemoteOptions & { state?: string; 'public-key'?: string[]; interval?: number; once?: boolean };

@Command({
  name: 'audit:witness',
  description:
    '--url URL --state DIR --public-key KEY [--token T] [--interval 60] [--once]  verify, co-sign and keep the bundle; exit 1 on any inconsistency',
})
export class AuditWitnessCommand extends RemoteCommand<WitnessOptions> {
  protected async execute(_: string[], options: WitnessOptions): Promise<number> {
    return (await import('./audit-witness.js')).witness(options);
  }

  @Option({ flags: '--state <dir>', description: "the witness's directory: its key, the heads it kept, its co-signatures and alarms" })
  state(value: string): string {
    return value;
  }

  @Option({
    flags: '--public-key <key>',
    name: 'public-key',
    description: "the operator's public key (a PEM file or base64 SPKI); once per key",
  })
  publicKey(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option({ flags: '--interval <seconds>', description: 'seconds between polls (60)' })
  interval(value: string): number {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 1) throw new Error('--interval must be a number of seconds, at least 1');
    return n;
  }

  @Option({ flags: '--once', description: 'poll once: exit 0 consistent, 1 an alarm, 2 could not check' })
  once(): boolean {
    return true;
  }
}
