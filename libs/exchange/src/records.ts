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
  return rows.map((row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? null])));
}
