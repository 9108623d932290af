/**
 * Positional parameters for one statement that several libraries write parts
 * of (a step's row, the grant it makes, its audit entry): each part binds its
 * values here and writes the placeholder it is given, so that no part needs to
 * know how many came before it.
 */
export class SqlParams {
  readonly values: unknown[];

  /** @param values the first parameters, `$1` onwards, for a statement that writes their placeholders itself */
  constructor(...values: unknown[]) {
    this.values = values;
  }

  /** The placeholder (`$n`) of `value`, added as the next parameter. */
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
