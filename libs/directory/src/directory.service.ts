import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ANY_DISTRICT, badInput, checkPageSize, conflict, forbidden, isUuid, notFound, type DistrictScope, type Page } from '@app/common';
import {
  CLASSIFICATIONS,
  type AccessPolicy,
  type CatalogueField,
  type Classification,
  type FileCatalog,
  type SqlFragment,
} from '@app/access';
import { AudienceRepository } from './audience.repository.js';
import { actorName, type DepartmentRef } from '@app/auth';
import { AuditLog } from '@app/audit';
import { DirectoryRepository } from './directory.repository.js';
import { fileFactsJsonSql, fileOwnerSql, FilesRepository, filesOwnedBySql, fileVersionsLockedSql } from './files.repository.js';
import { FileFacetsRepository, type FileFacetCounts } from './file-facets.repository.js';
import { ReferenceData, type ReferenceSizes } from './reference-data.js';
import {
  FIELD_TYPES,
  type DataFieldRow,
  type DataFileRow,
  type DepartmentRow,
  type DistrictRow,
  type FileFilter,
  type FileKey,
} from './directory.types.js';

/** A file the caller may discover, with its schema and the codes of its district and owner. */
export type DiscoverableFile = DataFileRow & { districtCode: string; ownerCode: string; fields: DataFieldRow[] };

export const MAX_SEARCH_LENGTH = 200;
export const MAX_FILTER_VALUES = 100;
export const MAX_FIELDS_PER_FILE = 200;

export interface RegisterFileInput {
  code: string;
  title: string;
  description?: string | null;
  classification: Classification;
  category: string;
  tags?: string[] | null;
  format: string;
  updateFrequency?: string | null;
  fields: { name: string; type: string; sensitive?: boolean | null; description?: string | null }[];
}

export const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;

@Injectable()
export class DirectoryService implements FileCatalog {
  private readonly reference: ReferenceData;

  constructor(
    private readonly db: DataSource,
    private readonly directory: DirectoryRepository,
    private readonly files: FilesRepository,
    private readonly facets: FileFacetsRepository,
    private readonly audience: AudienceRepository,
    private readonly audit: AuditLog,
  ) {
    this.reference = new ReferenceData(directory);
  }

  districts(): Promise<DistrictRow[]> {
    return this.directory.districts();
  }

  districtsByIds(ids: readonly string[]): Promise<(DistrictRow | undefined)[]> {
    return this.reference.districtsByIds(ids);
  }

  /** The districts of these codes that exist, from the reference data (no query while it is fresh). */
  districtsByCodes(codes: readonly string[]): Promise<DistrictRow[]> {
    return this.reference.districtsByCodes(codes);
  }

  departments(districtCode?: string | null): Promise<DepartmentRow[]> {
    return this.directory.departments(districtCode);
  }

  departmentsOfDistrict(districtId: string): Promise<DepartmentRow[]> {
    return this.reference.departmentsOf(districtId);
  }

  referenceSizes(): Promise<ReferenceSizes> {
    return this.reference.sizes();
  }

  departmentsByIds(ids: readonly string[]): Promise<(DepartmentRow | undefined)[]> {
    return this.reference.departmentsByIds(ids);
  }

  async departmentByCode(code: string): Promise<DepartmentRef | null> {
    return (await this.reference.department(code)) ?? null;
  }

  async districtByCode(code: string): Promise<DistrictRow | null> {
    return (await this.reference.district(code)) ?? null;
  }

  fileOwnerSql(alias: string): string {
    return fileOwnerSql(alias);
  }

  departmentsAllowed(file: FileKey, condition: SqlFragment, first: number, after: string | null): Promise<Page<DepartmentRef>> {
    return this.audience.page(file, condition, first, after);
  }

  countDepartmentsAllowed(file: FileKey, condition: SqlFragment): Promise<number> {
    return this.audience.count(file, condition);
  }

  countFilesAllowed(scope: DistrictScope, condition: SqlFragment): Promise<number> {
    return this.audience.countFiles(scope, condition);
  }

  /**
   * SQL for other libraries' statements: the file a row of `alias` names by
   * (district_id, file_id), as JSON (`FileFactsJson`), with its version and
   * schema; a step reads it in the statement that reads its own row.
   */
  fileFactsJsonSql(alias: string): string {
    return fileFactsJsonSql(alias);
  }

  /**
   * SQL for other libraries' statements: the version and schema version of the
   * file a row of `alias` names, its row locked FOR SHARE (see
   * fileVersionsLockedSql), for a LATERAL join; a step that records the
   * versions it decided on writes them from here.
   */
  fileVersionsLockedSql(alias: string): string {
    return fileVersionsLockedSql(alias);
  }

  /** SQL for other libraries' queries: the (district_id, id) keys of the files of `department` (a parameter). */
  filesOwnedBySql(department: string): string {
    return filesOwnedBySql(department);
  }

  /** What the listings keep in memory now (kept totals' district counts, kept searches' matches) and its bounds, for metrics. */
  keptListings(): Record<'totalCounts' | 'searchMatches', { size: number; max: number }> {
    return this.files.kept();
  }

  /**
   * A page of the files the caller may discover; the exact total only when asked for, since it costs a count.
   * `withSchemas` reads the page's schemas in the same statement, for visibleFields to be given as `known`.
   */
  async listFiles(caller: AccessPolicy, filter: FileFilter, first: number, after: string | null, withTotal = true, withSchemas = false) {
    checkPageSize(first);
    checkFilter(filter);
    return this.files.list(caller, await this.filterScope(filter), filter, first, after, withTotal, withSchemas);
  }

  /** Facet counts over what the caller may discover under the filter (each facet ignoring its own). */
  async fileFacets(caller: AccessPolicy, filter: FileFilter): Promise<FileFacetCounts> {
    checkFilter(filter);
    return this.facets.counts(caller, await this.filterScope(filter), filter);
  }

  /** The districts a filter names, by id from the reference data; a filter that names none spans every district. */
  private async filterScope(filter: FileFilter): Promise<DistrictScope> {
    if (!filter.districtCodes?.length) return ANY_DISTRICT;
    return { districtIds: (await this.reference.districtsByCodes(filter.districtCodes)).map((d) => d.id) };
  }

  /** null both for a file that does not exist and for one the caller may not discover. */
  async getFile(caller: AccessPolicy, id: string): Promise<DataFileRow | null> {
    if (!isUuid(id)) return null;
    // Fans out: the id a client gives carries no district.
    const file = await this.files.findById(ANY_DISTRICT, id);
    return file && caller.can('DISCOVER', file) ? file : null;
  }

  /**
   * The one lookup of "a file the caller may discover": with its schema, or
   * NOT_FOUND exactly as for a missing one. Granting, publishing and
   * requesting all start here; `scope` is the file's district when the caller
   * knows it (ANY_DISTRICT for an id from a client: the read fans out), and
   * `tx` reads it inside the caller's transaction.
   */
  async discoverableFile(caller: AccessPolicy, scope: DistrictScope, id: string, tx?: EntityManager): Promise<DiscoverableFile> {
    const file = isUuid(id) ? await this.files.findWithFields(scope, id, tx) : null;
    if (!file || !caller.can('DISCOVER', file)) throw notFound(`no file ${id}`);
    const [[district], [owner]] = await Promise.all([
      this.reference.districtsByIds([file.districtId]),
      this.reference.departmentsByIds([file.ownerDepartmentId]),
    ]);
    return { ...file, districtCode: district!.code, ownerCode: owner!.code };
  }

  /** A file's row, read in the caller's transaction (no access check: for a step already authorized on it). */
  async readFile(tx: EntityManager, key: FileKey): Promise<DataFileRow | null> {
    return this.files.findById(key, key.id, tx);
  }

  /** The schema of a file, read in the caller's transaction. */
  async fieldsOf(key: FileKey, tx?: EntityManager): Promise<DataFieldRow[]> {
    return (await this.files.fieldsOf([key], tx)).get(key.id) ?? [];
  }

  /**
   * Locks the file for a publication and returns its current version; the
   * publication then records the next with recordPublishedVersion, in the
   * same transaction.
   */
  async lockFileVersion(tx: EntityManager, key: FileKey): Promise<number> {
    const version = await this.files.lockVersion(tx, key);
    if (version === null) throw notFound(`no file ${key.id}`);
    return version;
  }

  async recordPublishedVersion(tx: EntityManager, key: FileKey, version: number): Promise<void> {
    await this.files.setVersion(tx, key, version);
  }

  /**
   * Locks the file for a schema change and returns its current schema
   * version; the change is then written with writeSchemaChange, in the same
   * transaction.
   */
  async lockSchemaVersion(tx: EntityManager, key: FileKey): Promise<number> {
    const version = await this.files.lockSchemaVersion(tx, key);
    if (version === null) throw notFound(`no file ${key.id}`);
    return version;
  }

  async writeSchemaChange(
    tx: EntityManager,
    key: FileKey,
    added: DataFieldRow[],
    altered: DataFieldRow[],
    schemaVersion: number,
  ): Promise<void> {
    await this.files.changeSchema(tx, key, added, altered, schemaVersion);
  }

  /**
   * Each file's field catalogue as the caller sees it: every field of a file it
   * may READ (sensitive ones included; sensitivity protects values, not names),
   * each marked obtainable or not; nothing of the others. One query for all.
   */
  async visibleFields(
    caller: AccessPolicy,
    files: readonly DataFileRow[],
    /** Schemas already read (by listFiles), by file id: only the others are queried. */
    known: ReadonlyMap<string, DataFieldRow[]> = new Map(),
  ): Promise<CatalogueField<DataFieldRow>[][]> {
    const missing = files.filter((f) => !known.has(f.id) && caller.can('READ', f));
    const schemas = missing.length ? await this.files.fieldsOf(missing) : new Map<string, DataFieldRow[]>();
    return files.map((f) => caller.fieldCatalogue(f, known.get(f.id) ?? schemas.get(f.id) ?? []));
  }

  /** A steward registers a file owned by its own department; the registration is audited. */
  async registerFile(caller: AccessPolicy, input: RegisterFileInput): Promise<DataFileRow> {
    const { actor } = caller;
    const department = actor.department;
    if (!caller.may('register', { ownerDepartmentId: department.id, districtId: department.districtId })) {
      throw forbidden('only a data steward registers files for its department');
    }
    const file = validateRegistration(input);
    return this.db.transaction(async (tx) => {
      const [id] = await this.files.insertMany(tx, [{ ...file, districtId: department.districtId, ownerDepartmentId: department.id }]);
      // Codes are unique per owning department: a conflict names only a file the caller's department owns (and sees).
      if (id === undefined) throw conflict(`your department already has a file with code "${file.code}"`);
      const registered = (await this.files.findById({ districtId: department.districtId }, id, tx))!;
      await this.audit.append(tx, [
        {
          ledger: department.districtCode,
          actor: actorName(actor),
          action: 'file.registered',
          subjectType: 'DataFile',
          subjectId: id,
          parties: [department.code],
          payload: { code: file.code, title: file.title, classification: file.classification, fields: file.fields.map((f) => f.name) },
        },
      ]);
      return registered;
    });
  }

  filesByIds(scope: DistrictScope, ids: readonly string[]): Promise<DataFileRow[]> {
    return this.files.findByIds(scope, ids.filter(isUuid));
  }
}

function checkFilter(filter: FileFilter): void {
  if (filter.search && filter.search.length > MAX_SEARCH_LENGTH) {
    throw badInput(`search may be at most ${MAX_SEARCH_LENGTH} characters`);
  }
  for (const [name, values] of Object.entries(filter)) {
    if (Array.isArray(values) && values.length > MAX_FILTER_VALUES) {
      throw badInput(`filter.${name} may list at most ${MAX_FILTER_VALUES} values`);
    }
  }
}

function validateRegistration(input: RegisterFileInput) {
  const text = (value: string | null | undefined, name: string, max: number): string => {
    const v = (value ?? '').trim();
    if (!v) throw badInput(`${name} must not be empty`);
    if (v.length > max) throw badInput(`${name} may be at most ${max} characters`);
    return v;
  };
  if (!(CLASSIFICATIONS as readonly string[]).includes(input.classification))
    throw badInput(`unknown classification ${input.classification}`);
  if (input.fields.length === 0) throw badInput('a file needs at least one field');
  if (input.fields.length > MAX_FIELDS_PER_FILE) throw badInput(`a file may have at most ${MAX_FIELDS_PER_FILE} fields`);
  const seen = new Set<string>();
  const fields: DataFieldRow[] = input.fields.map((f, i) => {
    if (!FIELD_NAME.test(f.name))
      throw badInput(`fields[${i}].name "${f.name}" must be snake_case: a lowercase letter, then letters, digits or _`);
    if (seen.has(f.name)) throw badInput(`fields[${i}].name "${f.name}" appears twice`);
    seen.add(f.name);
    if (!(FIELD_TYPES as readonly string[]).includes(f.type)) throw badInput(`fields[${i}].type must be one of ${FIELD_TYPES.join(', ')}`);
    return { name: f.name, type: f.type as DataFieldRow['type'], sensitive: f.sensitive ?? false, description: f.description ?? null };
  });
  return {
    code: text(input.code, 'code', 100),
    title: text(input.title, 'title', 300),
    description: input.description?.trim() || null,
    classification: input.classification,
    category: text(input.category, 'category', 100),
    tags: [...new Set((input.tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))],
    format: text(input.format, 'format', 50),
    updateFrequency: input.updateFrequency?.trim() || null,
    fields,
  };
}
