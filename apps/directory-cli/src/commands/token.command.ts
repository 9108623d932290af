import { Command, Option } from 'nest-commander';
import { CliCommand } from '../cli-command.js';

interface Options {
  department?: string;
  roles?: string;
  subject?: string;
  ttl?: string;
}

/** Needs the service's signing secret, not its database. */
@Command({
  name: 'token',
  description: '--department CODE [--roles MEMBER,STEWARD,...] [--subject NAME] [--ttl 8h]  mint a bearer token',
})
export class TokenCommand extends CliCommand<Options> {
  protected async execute(_: string[], options: Options): Promise<void> {
    const { mintToken } = await import('./token.js');
    console.log(await mintToken(options));
  }

  @Option({ flags: '--department <code>', description: "the caller's department (the departments query lists codes)" })
  department(value: string): string {
    return value;
  }

  @Option({ flags: '--roles <roles>', description: 'comma-separated: MEMBER, STEWARD, DISTRICT_ADMIN, PLATFORM_ADMIN, AUDITOR (MEMBER)' })
  roles(value: string): string {
    return value;
  }

  @Option({ flags: '--subject <name>', description: 'who the token names (dev-<department>)' })
  subject(value: string): string {
    return value;
  }

  @Option({ flags: '--ttl <duration>', description: 'how long it is valid, e.g. 1h (8h)' })
  ttl(value: string): string {
    return value;
  }
}
