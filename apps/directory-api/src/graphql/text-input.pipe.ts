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
    this.check(value, metadata.data ?? '', metadata.data ?? '', false);
    return value;
  }

  private check(value: unknown, path: string, name: string, insideJson: boolean): void {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw badInput(`${path} contains a NUL character, which text may not hold`);
      if (!value.isWellFormed()) throw badInput(`${path} contains an unpaired UTF-16 surrogate; send well-formed Unicode`);
      const max = TEXT_LIMITS[name] ?? DEFAULT_TEXT_LIMIT;
      if (!insideJson && value.length > max)
        throw badInput(`${path} may be at most ${formatted(max)} characters (got ${formatted(value.length)})`);
      return;
    }
    if (Array.isArray(value)) {
      const max = LIST_LIMITS[name] ?? DEFAULT_LIST_LIMIT;
      if (!insideJson && value.length > max)
        throw badInput(`${path} may hold at most ${formatted(max)} items (got ${formatted(value.length)})`);
      value.forEach((item, i) => this.check(item, `${path}[${i}]`, name, insideJson));
      return;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const [key, child] of Object.entries(value)) {
        this.check(key, `${path}`, '', insideJson || JSON_ARGUMENTS.has(name));
        this.check(child, path ? `${path}.${key}` : key, insideJson ? name : key, insideJson || JSON_ARGUMENTS.has(key));
      }
    }
  }
}
