import type { Classification, FileFacts } from '@app/access';

export interface DistrictRow {
  id: string;
  code: string;
  name: string;
  level: string;
  onboardedAt: Date;
}

export interface DepartmentRow {
  id: string;
  code: string;
  name: string;
  districtId: string;
}

export interface DataFileRow extends FileFacts {
  code: string;
  title: string;
  description: string | null;
  tags: string[];
  format: string;
  updateFrequency: string | null;
  /** The number of its latest publication of records (0: none yet). */
  version: number;
  /** The number of its field set: 1 at registration, one more with each schema change. */
  schemaVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface DataFieldRow {
  name: string;
  type: FieldType;
  sensitive: boolean;
  description: string | null;
}

export interface FileFilter {
  search?: string | null;
  districtCodes?: string[] | null;
  ownerDepartmentCodes?: string[] | null;
  classifications?: Classification[] | null;
  categories?: string[] | null;
  tags?: string[] | null;
}

/** A file's primary key: the district comes first, as everywhere. */
export interface FileKey {
  districtId: string;
  id: string;
}

export const fileKeyString = (k: FileKey): string => `${k.districtId}/${k.id}`;

/** A file as `DirectoryService.fileFactsJsonSql` gives it inside another library's statement. */
export interface FileFactsJson extends FileFacts {
  version: number;
  schemaVersion: number;
  fields: DataFieldRow[];
}
