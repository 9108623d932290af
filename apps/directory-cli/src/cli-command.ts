import { CommandRunner } from 'nest-commander';

type Commander = Parameters<CommandRunner['setCommand']>[0];

/**
 * A command of the CLI. `execute` returns the exit code: 0 done, 1 a failure
 * it found (a ledger that does not verify, an alarm); audit:consistency and
 * audit:witness also return 2 when they could not check. A thrown error is
 * reported as one line by main.ts, with exit code 1.
 */
export abstract class CliCommand<Options = Record<string, never>> extends CommandRunner {
  protected abstract execute(positionals: string[], options: Options): Promise<number | void>;

  /** nest-commander hands each command its commander instance before adding the options. */
  override setCommand(command: Commander): this {
    // Mistakes in a command's own arguments reach main.ts's one error handler instead
    // of ending the process inside commander, and stray arguments are refused.
    command.exitOverride().allowExcessArguments(false);
    return super.setCommand(command);
  }

  async run(positionals: string[], options?: Record<string, unknown>): Promise<void> {
    process.exitCode = (await this.execute(positionals, (options ?? {}) as Options)) ?? 0;
  }
}

/** The value of --name as a whole number from `min` to `max`; parsed before any command runs, so a bad value needs no database. */
export function wholeNumber(value: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : '';
    throw new Error(`--${name} must be a whole number${range}`);
  }
  return n;
}

/** Repeatable options (--public-key, once per key) collect their values. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
