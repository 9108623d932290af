import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AccessPolicy } from '@app/access';
import { ANY_DISTRICT, type DistrictScope } from '@app/common';
import { applyFileFilter } from './files.repository.js';
import type { FileFilter } from './directory.types.js';

export interface FacetCount {
  value: string;
  /** A display name where the value is a code (districts, departments). */
  label: string | null;
  count: number;
}

export interface FileFacetCounts {
  districts: FacetCount[];
  owners: FacetCount[];
  classifications: FacetCount[];
  categories: FacetCount[];
  tags: FacetCount[];
}

/** How many values of a facet are counted, most frequent first. */
export const FACET_LIMIT = 50;

type Dimension = keyof FileFacetCounts;

/**
 * What each facet groups by: `key` is selected from the caller's files (f),
 * `outer` turns it into a value and a label; `own` is the facet's own filter.
 */
const DIMENSIONS: Record<Dimension, { key: string; outer: string; own: keyof FileFilter }> = {
  districts: {
    key: 'f.district_id',
    outer:
      'SELECT d.code AS value, d.name AS label, count(*)::int AS count FROM picked JOIN district d ON d.id = picked.key GROUP BY d.code, d.name',
    own: 'districtCodes',
  },
  owners: {
    key: 'f.owner_department_id',
    outer:
      'SELECT o.code AS value, o.name AS label, count(*)::int AS count FROM picked JOIN department o ON o.id = picked.key GROUP BY o.code, o.name',
    own: 'ownerDepartmentCodes',
  },
  classifications: {
    key: 'f.classification',
    outer: 'SELECT key AS value, NULL AS label, count(*)::int AS count FROM picked GROUP BY key',
    own: 'classifications',
  },
  categories: {
    key: 'f.category',
    outer: 'SELECT key AS value, NULL AS label, count(*)::int AS count FROM picked GROUP BY key',
    own: 'categories',
  },
  tags: {
    key: 'unnest(f.tags)',
    outer: 'SELECT key AS value, NULL AS label, count(*)::int AS count FROM picked GROUP BY key',
    own: 'tags',
  },
};

/**
 * Facet counts over the files the caller may discover, computed in SQL with the
 * same access condition as the listing. Each facet counts under every filter but
 * its own, so that picking one district still shows how many files the others hold.
 */
@Injectable()
export class FileFacetsRepository {
  constructor(private readonly db: DataSource) {}

  /** @param scope the filter's districts (ANY_DISTRICT when it names none: the counts span districts and fan out) */
  async counts(caller: AccessPolicy, scope: DistrictScope, filter: FileFilter): Promise<FileFacetCounts> {
    const dimensions = Object.keys(DIMENSIONS) as Dimension[];
    const results = await Promise.all(dimensions.map((dimension) => this.count(caller, scope, filter, dimension)));
    return Object.fromEntries(dimensions.map((d, i) => [d, results[i]])) as unknown as FileFacetCounts;
  }

  private async count(caller: AccessPolicy, scope: DistrictScope, filter: FileFilter, dimension: Dimension): Promise<FacetCount[]> {
    const { key, outer, own } = DIMENSIONS[dimension];
    // The districts facet counts every district the caller may see, whatever the filter picked.
    const counted = own === 'districtCodes' ? ANY_DISTRICT : scope;
    const access = caller.fileCondition('f', 'DISCOVER', counted);
    const qb = this.db.createQueryBuilder().from('data_file', 'f').select(key, 'key').where(access.sql, access.params);
    applyFileFilter(qb, counted, { ...filter, [own]: null });
    const [picked, params] = qb.getQueryAndParameters();
    return this.db.query<FacetCount[]>(`WITH picked AS (${picked}) ${outer} ORDER BY count DESC, value LIMIT ${FACET_LIMIT}`, params);
  }
}
