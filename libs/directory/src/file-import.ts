import type { EntityManager } from 'typeorm';
import { copyRows, transactionConnection } from '@app/database';
import type { NewFile } from './files.repository.js';

const FILE_STAGE = 'file_import_stage';
const FILE_COLUMNS = [
  'district_id',
  'id',
  'code',
  'title',
  'description',
  'owner_department_id',
  'classification',
  'category',
  'tags',
  'format',
  'update_frequency',
  'updated_at',
];
const FIELD_COLUMNS = ['district_id', 'file_id', 'position', 'name', 'type', 'sensitive', 'description'];

/**
 * Loads files with their fields by COPY (the whole city), in the caller's
 * transaction: into a staging table of its connection, then one insert that
 * leaves files already there alone, then the new files' fields. Every file
 * needs its id. Returns the files inserted now, for the caller to audit.
 */
export async function copyFiles(tx: EntityManager, files: readonly NewFile[]): Promise<NewFile[]> {
  if (files.length === 0) return [];
  await tx.query(`
    CREATE TEMP TABLE IF NOT EXISTS ${FILE_STAGE} (
      district_id uuid, id uuid, code text, title text, description text, owner_department_id uuid, classification text,
      category text, tags text[], format text, update_frequency text, updated_at timestamptz
    ) ON COMMIT DELETE ROWS`);
  const client = await transactionConnection(tx);
  await copyRows(
    client,
    FILE_STAGE,
    FILE_COLUMNS,
    files.map((f) => [
      f.districtId,
      f.id!,
      f.code,
      f.title,
      f.description,
      f.ownerDepartmentId,
      f.classification,
      f.category,
      f.tags,
      f.format,
      f.updateFrequency,
      f.updatedAt ?? null,
    ]),
  );
  const inserted = await tx.query<{ id: string }[]>(
    `INSERT INTO data_file (district_id, id, code, title, description, owner_department_id, classification,
                            category, tags, format, update_frequency, created_at, updated_at, search_vector)
     SELECT district_id, id, code, title, description, owner_department_id, classification, category, tags, format,
            update_frequency, updated_at, updated_at, data_file_search_vector(title, description, tags)
       FROM ${FILE_STAGE}
     ON CONFLICT (district_id, owner_department_id, code) DO NOTHING
     RETURNING id`,
  );
  const fresh = new Set(inserted.map((r) => r.id));
  const added = files.filter((f) => fresh.has(f.id!));
  // data_field, by COPY.
  await copyRows(
    client,
    'data_field',
    FIELD_COLUMNS,
    added.flatMap((f) =>
      f.fields.map((x, position) => [f.districtId, f.id!, position, x.name, x.type, x.sensitive, x.description ?? null]),
    ),
  );
  return added;
}
