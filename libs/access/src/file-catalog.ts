import type { EntityManager } from 'typeorm';
import type { DepartmentRef } from '@app/auth';
import type { AccessPolicy, FieldFacts } from './access-policy.js';
import type { FileFacts } from './actions.js';
import type { SqlFragment } from './rules-to-sql.js';
import type { DistrictScope, Page } from '@app/common';

/** A file as granting needs it: its facts, schema, and the codes its audit entries name. */
export type CatalogFile = FileFacts & {
  districtCode: string;
  ownerCode: string;
  fields: FieldFacts[];
  /** The number of its latest publication of records (0: none yet). */
  version: number;
  /** The number of its field set: 1 at registration, one more with each schema change. */
  schemaVersion: number;
};

/** A file's key: its district and id. */
export interface FileRef {
  districtId: string;
  id: string;
}

/**
 * What granting needs from the directory, which owns files, departments and
 * districts. Declared here and implemented by the directory's service, so that
 * access reads none of those tables and depends on no library above it; an
 * abstract class, so that it is also the Nest injection token.
 */
export abstract class FileCatalog {
  /** The file with its schema, or NOT_FOUND when missing or not discoverable by the caller; `scope`: its district, when known. */
  abstract discoverableFile(caller: AccessPolicy, scope: DistrictScope, id: string, tx?: EntityManager): Promise<CatalogFile>;
  abstract departmentByCode(code: string): Promise<DepartmentRef | null>;
  abstract districtByCode(code: string): Promise<{ id: string; code: string } | null>;
  abstract departmentsByIds(ids: readonly string[]): Promise<({ id: string; code: string } | undefined)[]>;
  abstract districtsByIds(ids: readonly string[]): Promise<({ id: string; code: string } | undefined)[]>;
  /** SQL for the owning department of the file that a row of `alias` names by (district_id, file_id). */
  abstract fileOwnerSql(alias: string): string;
  /** The departments (`d`) that `condition` admits for the file (`f`), by code, paged. */
  abstract departmentsAllowed(file: FileRef, condition: SqlFragment, first: number, after: string | null): Promise<Page<DepartmentRef>>;
  abstract countDepartmentsAllowed(file: FileRef, condition: SqlFragment): Promise<number>;
  /** How many files (`f`) of `scope` `condition` admits. */
  abstract countFilesAllowed(scope: DistrictScope, condition: SqlFragment): Promise<number>;
}
