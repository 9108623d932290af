import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module.js';

/**
 * The command line: nest-commander over CliModule. Each command imports its
 * implementation when it runs (the list and the help load quickly), and only
 * the commands that need the database open it (DatabaseOnDemand), so the
 * others run with none reachable.
 */
const USAGE = 'npm run cli -- <command> [options]';

/** Exit codes: 0 done (help too), 1 a failure or a bad option value, 2 an unknown command. */
function exitCodeOf(error: unknown, argv: string[]): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') return 0;
  const notACommand = code === 'commander.unknownCommand' || (code === 'commander.unknownOption' && argv[0]?.startsWith('-'));
  const message = (error instanceof Error ? error.message : String(error)).replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  // One clear line, never a stack: these are the operator's mistakes, or what the command found wrong.
  console.error(notACommand ? `${message}; npm run cli -- --help lists the commands` : `${argv[0]}: ${message}`);
  return notACommand ? 2 : 1;
}

async function main(argv: string[]): Promise<void> {
  const fail = (error: unknown) => {
    process.exitCode = exitCodeOf(error, argv);
  };
  try {
    await CommandFactory.run(CliModule, {
      logger: false,
      abortOnError: false,
      // Commander's errors are thrown to serviceErrorHandler (rather than ending the process) and reported there, once.
      errorHandler: (error) => {
        throw error;
      },
      serviceErrorHandler: fail,
      outputConfiguration: { outputError: () => undefined },
      helpConfiguration: {
        commandUsage: (command) => (command.parent ? `npm run cli -- ${command.name()} ${command.usage()}` : USAGE),
        // Each command's summary shows its arguments, as the list did before.
        subcommandTerm: (command) => command.name(),
      },
    });
  } catch (error) {
    fail(error);
  }
}

await main(process.argv.slice(2));
