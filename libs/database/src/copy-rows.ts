import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null | readonly string[];

/** Escapes a value for COPY's text format: backslash, tab, newline and carriage return. */
function escapeText(text: string): string {
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : text;
}

/** A text[] literal; each element quoted, so commas, braces and spaces need no thought. */
function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((i) => `"${i.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

export function copyLine(values: readonly CopyValue[]): string {
  return (
    values
      .map((v) => {
        if (v === null) return '\\N';
        if (typeof v === 'boolean') return v ? 't' : 'f';
        if (typeof v === 'number') return String(v);
        return escapeText(typeof v === 'string' ? v : arrayLiteral(v));
      })
      .join('\t') + '\n'
  );
}

/** Lines in chunks of a few hundred rows: one stream write per row would cost more than the row. */
function* chunks(rows: Iterable<readonly CopyValue[]>, size = 500): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const row of rows) {
    chunk += copyLine(row);
    if (++n === size) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk) yield chunk;
}

/** Streams rows into `table (columns)` with COPY FROM STDIN on the given connection (and its transaction). */
export async function copyRows(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<void> {
  const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunks(rows)), sink);
}

/** The open transaction's own connection: COPY must run in it, beside the transaction's other statements. */
export async function transactionConnection(tx: EntityManager): Promise<pg.PoolClient> {
  return (await tx.queryRunner!.connect()) as pg.PoolClient;
}
