import { badInput } from '@app/common';

export interface FieldSchema {
  name: string;
  type: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

const validDate = (v: string): boolean =>
  !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/** Whether a JSON value fits a field type; null fits every type (an absent value). */
export function fitsType(type: string, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      return typeof value === 'string' && DATE.test(value) && validDate(value);
    case 'datetime':
      return typeof value === 'string' && DATETIME.test(value) && !Number.isNaN(Date.parse(value));
    default:
      return false;
  }
}

/** Checks rows against a schema and says which row and field is wrong. Rows come back keyed in schema order. */
export function validateRecords(records: unknown[], schema: FieldSchema[]): Record<string, unknown>[] {
  const types = new Map(schema.map((f) => [f.name, f.type]));
  return records.map((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw badInput(`row ${i + 1} is not an object keyed by field name`);
    for (const [key, value] of Object.entries(record)) {
      const type = types.get(key);
      if (!type) throw badInput(`row ${i + 1}: "${key}" is not a field of this file`, { row: i + 1, field: key });
      if (!fitsType(type, value))
        throw badInput(`row ${i + 1}, field "${key}": expected ${type}, got ${JSON.stringify(value)}`, { row: i + 1, field: key });
    }
    return Object.fromEntries(schema.map((f) => [f.name, (record as Record<string, unknown>)[f.name] ?? null]));
  });
}

/** Each row with exactly these fields, in this order: what a delivery may contain, nothing else. */
export function project(rows: Record<string, unknown>[], fields: string[]): Record<string, unknown>[] {
  // A loop, not Object.fromEntries: a delivery projects every row of a version. Field names are never "__proto__" (FIELD_NAME).
  return rows.map((row) => {
    const projected: Record<string, unknown> = {};
    for (const f of fields) projected[f] = row[f] ?? null;
    return projected;
  });
}

/**
 * The RFC 8785 text of rows projected onto `fields` (project), with the keys
 * sorted once for every row instead of once per row: the text canonicalize
 * writes, as long as every value is a JSON scalar (what the schema's types
 * allow); null when one is not, or the fields repeat, for the caller to
 * canonicalize instead.
 */
export function canonicalRows(rows: Record<string, unknown>[], fields: string[]): string | null {
  // UTF-16 code unit order, as RFC 8785 (and canonicalize) sort keys.
  const keys = [...new Set(fields)].sort();
  if (keys.length !== fields.length) return null;
  const prefixes = keys.map((k, i) => `${i ? ',' : '{'}${JSON.stringify(k)}:`);
  const written = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    let row = keys.length ? '' : '{';
    for (let i = 0; i < keys.length; i++) {
      const value = rows[r][keys[i]];
      let text: string;
      if (typeof value === 'string') {
        if (!value.isWellFormed()) return null;
        text = JSON.stringify(value);
      } else if (typeof value === 'number') {
        if (!Number.isFinite(value)) return null;
        text = JSON.stringify(value);
      } else if (typeof value === 'boolean') text = value ? 'true' : 'false';
      else if (value === null) text = 'null';
      else return null;
      row += prefixes[i] + text;
    }
    written[r] = `${row}}`;
  }
  return `[${written.join(',')}]`;
}
