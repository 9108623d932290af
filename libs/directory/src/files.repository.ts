import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { decodeRankCursor, decodeTimeCursor, type Page, toPage } from '@app/common';
import type { AccessPolicy } from '@app/access';
import type { DataFieldRow, DataFileRow, FileFilter, FileKey } from './directory.types.js';

const FILE_COLUMNS = `
  f.id AS id, f.district_id AS "districtId", f.owner_department_id AS "ownerDepartmentId",
  f.classification AS classification, f.category AS category, f.code AS code, f.title AS title,
  f.description AS description, f.tags AS tags, f.format AS format,
  f.update_frequency AS "updateFrequency", f.version AS version,
  f.created_at AS "createdAt", f.updated_at AS "updatedAt"`;

/** The sort key travels as text so that microseconds survive the round trip. */
type ListedRow = DataFileRow & { sortKey: string | number };

export interface NewFile {
  districtId: string;
  id?: string;
  code: string;
  title: string;
  description: string | null;
  ownerDepartmentId: string;
  classification: string;
  category: string;
  tags: string[];
  format: string;
  updateFrequency: string | null;
  updatedAt?: string;
  fields: DataFieldRow[];
}

/** The directory filter as SQL on data_file aliased `f`; the listing and the facet counts share it. */
export function applyFileFilter(qb: SelectQueryBuilder<ObjectLiteral>, filter: FileFilter): void {
  const search = filter.search?.trim();
  if (search) qb.andWhere(`f.search_vector @@ websearch_to_tsquery('english', :search)`, { search });
  if (filter.districtCodes?.length) {
    qb.andWhere('f.district_id IN (SELECT id FROM district WHERE code = ANY(:districtCodes))', { districtCodes: filter.districtCodes });
  }
  if (filter.ownerDepartmentCodes?.length) {
    qb.andWhere('f.owner_department_id IN (SELECT id FROM department WHERE code = ANY(:ownerCodes))', {
      ownerCodes: filter.ownerDepartmentCodes,
    });
  }
  if (filter.classifications?.length) qb.andWhere('f.classification = ANY(:classifications)', { classifications: filter.classifications });
  if (filter.categories?.length) qb.andWhere('f.category = ANY(:categories)', { categories: filter.categories });
  if (filter.tags?.length) qb.andWhere('f.tags && CAST(:tags AS text[])', { tags: filter.tags });
}

/**
 * The owning department of the file that a row of `alias` names by
 * (district_id, file_id), as a SQL expression: for other libraries' queries,
 * so that only this library writes SQL over data_file.
 */
export const fileOwnerSql = (alias: string): string =>
  `(SELECT owner.owner_department_id FROM data_file owner WHERE owner.district_id = ${alias}.district_id AND owner.id = ${alias}.file_id)`;

/** The keys (district_id, id) of the files a department owns, as a SQL sub-query for `IN`; `department` is a parameter. */
export const filesOwnedBySql = (department: string): string =>
  `(SELECT owned.district_id, owned.id FROM data_file owned WHERE owned.owner_department_id = ${department})`;

/** The schema of the file `alias` (a data_file alias) as a JSON array in field order: for one-statement reads. */
const fieldsJsonSql = (alias: string): string =>
  `coalesce((SELECT json_agg(json_build_object('name', fd.name, 'type', fd.type, 'sensitive', fd.sensitive, 'description', fd.description)
                               ORDER BY fd.position)
               FROM data_field fd WHERE fd.district_id = ${alias}.district_id AND fd.file_id = ${alias}.id), '[]'::json)`;

/**
 * What a step decides on about the file that a row of `alias` names by
 * (district_id, file_id), as one JSON value (null when there is no such file):
 * its facts for the access rules, its current version and its schema. For
 * other libraries' statements, so that only this library writes SQL over
 * data_file and data_field.
 */
export const fileFactsJsonSql = (alias: string): string =>
  `(SELECT json_build_object('id', ff.id, 'districtId', ff.district_id, 'ownerDepartmentId', ff.owner_department_id,
                             'classification', ff.classification, 'category', ff.category, 'version', ff.version,
                             'fields', ${fieldsJsonSql('ff')})
      FROM data_file ff WHERE ff.district_id = ${alias}.district_id AND ff.id = ${alias}.file_id)`;

@Injectable()
export class FilesRepository {
  constructor(private readonly db: DataSource) {}

  /** One page of the files the caller may discover, with the exact total, all in SQL. */
  async list(
    caller: AccessPolicy,
    filter: FileFilter,
    first: number,
    after: string | null,
    withTotal = true,
  ): Promise<Page<DataFileRow> & { totalCount: number | null }> {
    const qb = this.db.createQueryBuilder().from('data_file', 'f');
    const access = caller.fileCondition('f');
    qb.where(access.sql, access.params);
    applyFileFilter(qb, filter);

    const count = withTotal ? qb.clone().select('count(*)::int', 'n').getRawOne<{ n: number }>() : Promise.resolve(null);

    const search = filter.search?.trim();
    const sortKey = search ? `ts_rank(f.search_vector, websearch_to_tsquery('english', :search))` : 'f.updated_at';
    qb.select(FILE_COLUMNS).addSelect(search ? sortKey : `${sortKey}::text`, 'sortKey');
    if (after) {
      const [key, id] = search ? decodeRankCursor(after) : decodeTimeCursor(after);
      qb.andWhere(`(${sortKey}, f.id) < (CAST(:afterKey AS ${search ? 'real' : 'timestamptz'}), CAST(:afterId AS uuid))`, {
        afterKey: key,
        afterId: id,
      });
    }
    qb.orderBy(sortKey, 'DESC')
      .addOrderBy('f.id', 'DESC')
      .limit(first + 1);
    const [rows, countRow] = await Promise.all([qb.getRawMany<ListedRow>(), count]);
    const page = toPage(rows, first, (r) => [r.sortKey, r.id]);
    for (const item of page.items) delete (item.node as Partial<ListedRow>).sortKey;
    return { ...page, totalCount: withTotal ? (countRow?.n ?? 0) : null };
  }

  /** A file with its schema (in field order), in one statement. */
  async findWithFields(id: string, db: EntityManager = this.db.manager): Promise<(DataFileRow & { fields: DataFieldRow[] }) | null> {
    const rows = await db.query<(DataFileRow & { fields: DataFieldRow[] })[]>(
      `SELECT ${FILE_COLUMNS}, ${fieldsJsonSql('f')} AS fields FROM data_file f WHERE f.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async findById(id: string, db: EntityManager = this.db.manager): Promise<DataFileRow | null> {
    const rows = await db.query<DataFileRow[]>(`SELECT ${FILE_COLUMNS} FROM data_file f WHERE f.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Locks a file's row for a publication and returns its current version: two
   * publications of one file at once take turns.
   */
  async lockVersion(tx: EntityManager, key: FileKey): Promise<number | null> {
    const [row] = await tx.query<{ version: number }[]>(`SELECT version FROM data_file WHERE district_id = $1 AND id = $2 FOR UPDATE`, [
      key.districtId,
      key.id,
    ]);
    return row?.version ?? null;
  }

  async setVersion(tx: EntityManager, key: FileKey, version: number): Promise<void> {
    await tx.query(`UPDATE data_file SET version = $3, updated_at = now() WHERE district_id = $1 AND id = $2`, [
      key.districtId,
      key.id,
      version,
    ]);
  }

  async findByIds(ids: readonly string[]): Promise<DataFileRow[]> {
    return await this.db.query<DataFileRow[]>(`SELECT ${FILE_COLUMNS} FROM data_file f WHERE f.id = ANY($1::uuid[])`, [ids]);
  }

  /** The schemas of many files in one query, in field order. */
  async fieldsOf(keys: readonly FileKey[], db: EntityManager = this.db.manager): Promise<Map<string, DataFieldRow[]>> {
    const rows = await db.query<(DataFieldRow & { file_id: string })[]>(
      `SELECT file_id, name, type, sensitive, description
         FROM data_field
        WHERE (district_id, file_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
        ORDER BY file_id, position`,
      [keys.map((k) => k.districtId), keys.map((k) => k.id)],
    );
    const byFile = new Map<string, DataFieldRow[]>(keys.map((k) => [k.id, []]));
    for (const { file_id, ...field } of rows) byFile.get(file_id)?.push(field);
    return byFile;
  }

  /**
   * Inserts files with their fields; a file whose (district, code) exists is
   * left as it is, so that re-running a load does not duplicate. Returns the
   * number of files inserted.
   */
  async insertMany(db: EntityManager, files: NewFile[]): Promise<number> {
    if (files.length === 0) return 0;
    const inserted = await db.query<{ district_id: string; id: string; code: string }[]>(
      `INSERT INTO data_file (district_id, id, code, title, description, owner_department_id, classification,
                              category, tags, format, update_frequency, created_at, updated_at, search_vector)
       SELECT r.district_id, coalesce(r.id, gen_random_uuid()), r.code, r.title, r.description, r.owner_department_id,
              r.classification, r.category, r.tags, r.format, r.update_frequency,
              coalesce(r.updated_at, now()), coalesce(r.updated_at, now()),
              data_file_search_vector(r.title, r.description, r.tags, r.field_names)
         FROM jsonb_to_recordset($1::jsonb) AS r(
                district_id uuid, id uuid, code text, title text, description text, owner_department_id uuid,
                classification text, category text, tags text[], format text, update_frequency text,
                updated_at timestamptz, field_names text[])
       ON CONFLICT (district_id, code) DO NOTHING
       RETURNING district_id, id, code`,
      [
        JSON.stringify(
          files.map((f) => ({
            district_id: f.districtId,
            id: f.id ?? null,
            code: f.code,
            title: f.title,
            description: f.description,
            owner_department_id: f.ownerDepartmentId,
            classification: f.classification,
            category: f.category,
            tags: f.tags,
            format: f.format,
            update_frequency: f.updateFrequency,
            updated_at: f.updatedAt ?? null,
            field_names: f.fields.map((x) => x.name),
          })),
        ),
      ],
    );
    if (inserted.length === 0) return 0;
    const byCode = new Map(files.map((f) => [`${f.districtId}/${f.code}`, f]));
    const fields = inserted.flatMap((row) =>
      (byCode.get(`${row.district_id}/${row.code}`)?.fields ?? []).map((field, position) => ({
        district_id: row.district_id,
        file_id: row.id,
        position,
        ...field,
      })),
    );
    await db.query(
      `INSERT INTO data_field (district_id, file_id, position, name, type, sensitive, description)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(district_id uuid, file_id uuid, position smallint,
                                                        name text, type text, sensitive boolean, description text)`,
      [JSON.stringify(fields)],
    );
    return inserted.length;
  }
}
