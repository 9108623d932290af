import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { badInput } from '@app/common';
import { DEFAULT_LIST_LIMIT, DEFAULT_TEXT_LIMIT, JSON_ARGUMENTS, LIST_LIMITS, TEXT_LIMITS } from './input-limits.js';

const formatted = (n: number) => n.toLocaleString('en-US');

/**
 * Checks every text in a resolver's arguments once, at the edge: no NUL
 * character (PostgreSQL text cannot hold it), no unpaired UTF-16 surrogate
 * (jsonb refuses it), and no more than the documented maximum for its name.
 * The error names the argument, so the caller knows what to fix.
 */
@Injectable()
export class TextInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Only a resolver's arguments (which Nest maps to 'body') come from the client; the parent, context and caller do not.
    if (metadata.type !== 'body') return value;
    this.check(value, metadata.data ? { up: null, step: metadata.data } : null, metadata.data ?? '', false);
    return value;
  }

  // The path is built only for an error: records of 10,000 rows hold a million values, each checked here.
  private check(value: unknown, at: Path, name: string, insideJson: boolean): void {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw badInput(`${pathText(at)} contains a NUL character, which text may not hold`);
      if (!value.isWellFormed()) throw badInput(`${pathText(at)} contains an unpaired UTF-16 surrogate; send well-formed Unicode`);
      const max = TEXT_LIMITS[name] ?? DEFAULT_TEXT_LIMIT;
      if (!insideJson && value.length > max)
        throw badInput(`${pathText(at)} may be at most ${formatted(max)} characters (got ${formatted(value.length)})`);
      return;
    }
    if (Array.isArray(value)) {
      const max = LIST_LIMITS[name] ?? DEFAULT_LIST_LIMIT;
      if (!insideJson && value.length > max)
        throw badInput(`${pathText(at)} may hold at most ${formatted(max)} items (got ${formatted(value.length)})`);
      for (let i = 0; i < value.length; i++) this.check(value[i], { up: at, step: i }, name, insideJson);
      return;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        this.check(key, at, '', insideJson || JSON_ARGUMENTS.has(name));
        this.check(
          (value as Record<string, unknown>)[key],
          { up: at, step: key },
          insideJson ? name : key,
          insideJson || JSON_ARGUMENTS.has(key),
        );
      }
    }
  }
}

/** Where a value sits in the arguments, from the innermost step out (null: the arguments themselves). */
type Path = { up: Path; step: string | number } | null;

/** The path as the error names it: `records[3].name`. */
function pathText(at: Path): string {
  let text = '';
  for (let p = at; p; p = p.up) {
    text = typeof p.step === 'number' ? `[${p.step}]${text}` : p.up ? `.${p.step}${text}` : `${p.step}${text}`;
  }
  return text;
}
