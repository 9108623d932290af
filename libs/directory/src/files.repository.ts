import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DataSource, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import {
  decodeRankCursor,
  decodeTimeCursor,
  districtCondition,
  districtsOf,
  namedParameter,
  SqlParams,
  type DistrictScope,
  type Page,
  toPage,
} from '@app/common';
import type { AccessPolicy } from '@app/access';
import { prepared } from '@app/database';
import type { DataFieldRow, DataFileRow, FileFilter, FileKey } from './directory.types.js';

const FILE_COLUMNS = `
  f.id AS id, f.district_id AS "districtId", f.owner_department_id AS "ownerDepartmentId",
  f.classification AS classification, f.category AS category, f.code AS code, f.title AS title,
  f.description AS description, f.tags AS tags, f.format AS format,
  f.update_frequency AS "updateFrequency", f.version AS version, f.schema_version AS "schemaVersion",
  f.created_at AS "createdAt", f.updated_at AS "updatedAt"`;

/**
 * What a listing's one statement is made of: a page, its total (`n`, with the files' `tag` it was counted under and
 * what the service `kept` keeps of it, see ListedRows), the page's sort column, and a WITH clause they share.
 */
interface PageParts {
  with: string;
  total: string;
  page: string;
  order: string;
  params: ObjectLiteral;
}

/** The sort key travels as text so that microseconds survive the round trip. */
type ListedRow = DataFileRow & { sortKey: string | number };

/** A listing statement's rows: the page's (id null on the one row of an empty page), each with the total's columns. */
type ListedRows = (ListedRow & {
  totalCount: number | null;
  filesTag: string | null;
  /**
   * What the service keeps of the statement: a search's first matches in rank
   * order, as [id, district id, rank]; or a total by time as [district id,
   * its files' version, its count] per district of the scope, the count null
   * where the version is the one the kept count was counted under.
   */
  kept: [string, string | null, number | null][] | null;
  schema: DataFieldRow[] | null;
})[];

export type Listing = Page<DataFileRow> & { totalCount: number | null; schemas: Map<string, DataFieldRow[]> };

/**
 * A total by time as kept: each district's count with the version of its files
 * it was counted under, those versions as the statement takes them (JSON), and
 * the total with the tag of all of them.
 */
interface KeptCounts {
  tag: string;
  total: number;
  known: string;
  counts: Map<string, { version: string; n: number }>;
}

/** A search's first ranked matches and its total, as counted under the files' `tag`. */
interface KeptSearch {
  tag: string;
  total: number;
  matches: { id: string; districtId: string; rank: number }[];
}

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

/**
 * The directory filter as SQL on data_file aliased `f`; the listing and the facet counts share it.
 * The districts come as a scope of ids (the service reads the filter's codes from its reference
 * data), so that the statement names the districts it reads. A list of one value is written as an
 * equality: PostgreSQL (before 17) reads an index in its order only under `column = value`, not
 * `= ANY(array)`, so a page of one category (or one owner) is the first rows of
 * (category, updated_at, id) instead of a walk through every file by time.
 */
export function applyFileFilter(qb: SelectQueryBuilder<ObjectLiteral>, scope: DistrictScope, filter: FileFilter): void {
  const search = filter.search?.trim();
  if (search) qb.andWhere(`f.search_vector @@ websearch_to_tsquery('english', :search)`, { search });
  qb.andWhere(districtCondition(scope, 'f.district_id', namedParameter(qb, 'districts')));
  const owners = filter.ownerDepartmentCodes;
  if (owners?.length === 1) {
    qb.andWhere('f.owner_department_id = (SELECT id FROM department WHERE code = :ownerCode)', { ownerCode: owners[0] });
  } else if (owners?.length) {
    qb.andWhere('f.owner_department_id IN (SELECT id FROM department WHERE code = ANY(:ownerCodes))', { ownerCodes: owners });
  }
  anyOf(qb, 'f.classification', 'classification', filter.classifications);
  anyOf(qb, 'f.category', 'category', filter.categories);
  if (filter.tags?.length) qb.andWhere('f.tags && CAST(:tags AS text[])', { tags: filter.tags });
}

function anyOf(qb: SelectQueryBuilder<ObjectLiteral>, column: string, name: string, values: readonly string[] | null | undefined): void {
  if (values?.length === 1) qb.andWhere(`${column} = :${name}`, { [name]: values[0] });
  else if (values?.length) qb.andWhere(`${column} = ANY(:${name}s)`, { [`${name}s`]: values });
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

/**
 * The number of rows `qb` selects in each of the districts of `districts`, as
 * (district_id, n), in one pass that tests its whole condition on each.
 */
function singleCount(qb: SelectQueryBuilder<ObjectLiteral>, districts: DistrictScope): { sql: string; params: ObjectLiteral } {
  const count = qb
    .clone()
    .select('f.district_id', 'district_id')
    .addSelect('count(*)::int', 'n')
    .andWhere(districtCondition(districts, 'f.district_id', namedParameter(qb, 'countDistricts')))
    .groupBy('f.district_id');
  return { sql: count.getQuery(), params: count.getParameters() };
}

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
                             'schemaVersion', ff.schema_version,
                             'fields', ${fieldsJsonSql('ff')})
      FROM data_file ff WHERE ff.district_id = ${alias}.district_id AND ff.id = ${alias}.file_id)`;

/**
 * The versions of the file that a row of `alias` names by (district_id,
 * file_id), read with the row locked FOR SHARE, as a sub-query for a LATERAL
 * join in another library's statement (`version`, `schema_version`). A schema
 * change locks the row FOR UPDATE before it writes: it waits for the
 * statement's transaction, or the statement waits for it and reads the row as
 * the change left it (READ COMMITTED re-reads a row updated meanwhile), so
 * what is decided in the statement is never decided on a schema that changed
 * under it. Publications wait only for the statement's own duration.
 */
export const fileVersionsLockedSql = (alias: string): string =>
  `SELECT fl.version, fl.schema_version FROM data_file fl
    WHERE fl.district_id = ${alias}.district_id AND fl.id = ${alias}.file_id FOR SHARE`;

/** The tag of the files of the districts `inScope` names: the MD5 of their versions (migration FileListingVersion). */
const filesTagSql = (inScope: string) => `
  SELECT md5(coalesce(string_agg(v.district_id || '/' || v.version, ',' ORDER BY v.district_id), '')) AS tag
    FROM file_listing_version v WHERE ${inScope}`;

/** How many districts' counts the kept totals hold in all (some 170 bytes each: a city-wide total of 17 districts is 18). */
export const KEPT_TOTAL_COUNTS_MAX = 100_000;
/** How many ranked matches a kept search holds: its first pages. A page past them searches again. */
export const KEPT_SEARCH_MATCHES = 100;
/** How many ranked matches the kept searches hold in all (some 100 bytes each). */
export const KEPT_SEARCH_MATCHES_MAX = 100_000;

/**
 * The kept matches a page of `first` after `after` is made of, or null when the
 * page reaches past them and more matches were found than kept. Ranks compare
 * as PostgreSQL compares them, as float4, and ids as uuids (lowercase hex).
 */
function keptSlice(kept: KeptSearch, first: number, after: string | null): KeptSearch['matches'] | null {
  let start = 0;
  if (after) {
    const [rank, id] = decodeRankCursor(after);
    const [r, i] = [Math.fround(rank), id.toLowerCase()];
    start = kept.matches.findIndex((m) => Math.fround(m.rank) < r || (Math.fround(m.rank) === r && m.id < i));
    if (start < 0) start = kept.matches.length;
  }
  const slice = kept.matches.slice(start, start + first + 1);
  return slice.length <= first && kept.matches.length < kept.total ? null : slice;
}

/**
 * The total from the statement's counts per district (see ListedRows.kept)
 * and those kept before it, as it is to be kept under `tag`; null when the
 * statement left out a count that is not kept under the version it returned.
 */
function addCounts(rows: NonNullable<ListedRows[number]['kept']>, before: KeptCounts | undefined, tag: string): KeptCounts | null {
  let total = 0;
  const counts = new Map<string, { version: string; n: number }>();
  for (const [district, version, n] of rows) {
    const known = before?.counts.get(district);
    if (n === null && (known === undefined || known.version !== version)) return null;
    const value = n ?? known!.n;
    total += value;
    // A district whose files have no version (written with the triggers off) is counted every time.
    if (version !== null) counts.set(district, { version, n: value });
  }
  return { tag, total, known: JSON.stringify(Object.fromEntries([...counts].map(([d, c]) => [d, c.version]))), counts };
}

/** A listing from its statement's rows (see ListedRows). */
function toListing(rows: ListedRows, first: number, totalCount: number | null, withSchemas: boolean): Listing {
  const listed = rows.filter((r) => r.id !== null);
  const schemas = new Map<string, DataFieldRow[]>();
  for (const row of listed) {
    if (withSchemas) schemas.set(row.id, row.schema ?? []);
    delete (row as Partial<typeof row>).totalCount;
    delete (row as Partial<typeof row>).filesTag;
    delete (row as Partial<typeof row>).kept;
    delete (row as Partial<typeof row>).schema;
  }
  const page = toPage(listed, first, (r) => [r.sortKey, r.id]);
  for (const item of page.items) delete (item.node as Partial<ListedRow>).sortKey;
  return { ...page, totalCount, schemas };
}

@Injectable()
export class FilesRepository {
  /**
   * Totals kept, by kept rule set (AccessService keeps one per department and
   * roles while its grants are unchanged) and filter, district by district with
   * the versions of the files they were counted under (see KeptCounts). Like
   * the searches, one LRU bounded by what it holds: however many departments
   * and filters ask, it stays within KEPT_TOTAL_COUNTS_MAX counts.
   */
  private readonly totals = new LRUCache<string, KeptCounts>({
    maxSize: KEPT_TOTAL_COUNTS_MAX,
    sizeCalculation: (kept) => kept.counts.size + 1,
  });
  /** Searches kept, by kept rule set and filter (see KeptSearch): their first pages are read by key. */
  private readonly searches = new LRUCache<string, KeptSearch>({
    maxSize: KEPT_SEARCH_MATCHES_MAX,
    sizeCalculation: (kept) => kept.matches.length + 1,
  });
  /** Searches being run again whole, by the key they are kept under: a request for the same waits for it. */
  private readonly searching = new Map<string, Promise<unknown>>();
  private readonly ruleIds = new WeakMap<object, number>();
  private lastRulesId = 0;

  constructor(private readonly db: DataSource) {}

  /**
   * One page of the files the caller may discover, with the exact total and,
   * when asked, the page's schemas (`withSchemas`), all in one statement: one
   * round trip and one pooled connection per page instead of three (the count
   * and the page used to run in parallel on two connections, the schemas after
   * them on a third).
   */
  list(
    caller: AccessPolicy,
    scope: DistrictScope,
    filter: FileFilter,
    first: number,
    after: string | null,
    withTotal = true,
    withSchemas = false,
  ): Promise<Listing> {
    return this.listing(caller, scope, filter, first, after, withTotal, withSchemas, false);
  }

  /** list(), `waited` once already for another request's search of the same. */
  private async listing(
    caller: AccessPolicy,
    scope: DistrictScope,
    filter: FileFilter,
    first: number,
    after: string | null,
    withTotal: boolean,
    withSchemas: boolean,
    waited: boolean,
  ): Promise<Listing> {
    const search = filter.search?.trim();
    // Kept totals and searches are kept per rule set and filter.
    const key = `${this.rulesId(caller.rules)} ${JSON.stringify([scope, filter])}`;
    // A search's first pages are served from its ranked matches, kept while the files are unchanged.
    const searchKey = search && withTotal ? key : null;
    const keptSearch = searchKey ? this.searches.get(searchKey) : undefined;
    const slice = keptSearch && keptSlice(keptSearch, first, after);
    if (keptSearch && slice) {
      const rows = await this.run(this.keptSearchPage(scope, keptSearch, slice), withTotal, withSchemas);
      if (rows[0].filesTag === keptSearch.tag) return toListing(rows, first, keptSearch.total, withSchemas);
    }
    // Requests that find the same search stale together search once: the others wait, then read their page from
    // what it kept (checked by its tag again; if the files changed once more, each searches itself).
    const running = searchKey && !waited ? this.searching.get(searchKey) : undefined;
    if (running) {
      await running.catch(() => undefined);
      return this.listing(caller, scope, filter, first, after, withTotal, withSchemas, true);
    }
    const qb = this.db.createQueryBuilder().from('data_file', 'f');
    const access = caller.fileCondition('f', 'DISCOVER', scope);
    qb.where(access.sql, access.params);
    applyFileFilter(qb, scope, filter);
    // A total by time is kept per rule set and filter, district by district, and counted again only in the
    // districts where a file was written since: the statement counts only there, and returns every version.
    const totals = withTotal && !search ? this.totals : undefined;
    const counts = totals?.get(key);
    const part = search
      ? this.searchPage(qb, scope, first, after, searchKey !== null)
      : this.timePage(qb, caller, scope, filter, first, after, counts ?? null);
    const statement = this.run(part, withTotal, withSchemas);
    if (searchKey) {
      this.searching.set(searchKey, statement);
      const done = () => this.searching.get(searchKey) === statement && this.searching.delete(searchKey);
      statement.then(done, done);
    }
    const rows = await statement;
    const [{ totalCount: counted, filesTag, kept }] = rows;
    let totalCount = counted;
    if (totals && filesTag !== null) {
      const now = filesTag === counts?.tag ? counts : addCounts(kept ?? [], counts, filesTag);
      // A count missing where the statement found it kept cannot happen but by a bug: then count everything.
      if (now === null) {
        totals.delete(key);
        return this.listing(caller, scope, filter, first, after, withTotal, withSchemas, waited);
      }
      totalCount = now.total;
      if (now !== counts) totals.set(key, now);
    }
    if (searchKey && filesTag !== null && counted !== null && kept) {
      this.searches.set(searchKey, {
        tag: filesTag,
        total: counted,
        matches: kept.map(([id, districtId, rank]) => ({ id, districtId: districtId!, rank: rank! })),
      });
    }
    return toListing(rows, first, withTotal ? (totalCount ?? 0) : null, withSchemas);
  }

  /**
   * A listing's one statement: the total (one row, joined to the page's rows
   * so that an empty page still carries it), the page, and its schemas.
   */
  private run(part: PageParts, withTotal: boolean, withSchemas: boolean): Promise<ListedRows> {
    // The page's schemas, read with the page.
    const schemas = withSchemas
      ? `(SELECT json_agg(json_build_object('name', x.name, 'type', x.type, 'sensitive', x.sensitive, 'description', x.description)
                          ORDER BY x.position)
            FROM data_field x WHERE x.district_id = page."districtId" AND x.file_id = page.id)`
      : 'NULL::json';
    const [sql, params] = this.db.driver.escapeQueryWithParameters(
      `${part.with}
       SELECT page.*, total.n AS "totalCount", total.tag AS "filesTag", total.kept, ${schemas} AS "schema"
         FROM (${withTotal ? part.total : 'SELECT NULL::int AS n, NULL::text AS tag, NULL::json AS kept'}) total
         LEFT JOIN (${part.page}) page ON TRUE
        ORDER BY page.${part.order} DESC, page.id DESC`,
      part.params,
    );
    // Prepared: at city size planning the access condition's subqueries took PostgreSQL 3 ms of a 10 ms
    // statement, and the generic plan it settles on runs as fast as a custom one (7.5 ms). The text follows
    // the filters named, the caller's roles and the page size, which stays written in (a generic plan that
    // does not know its LIMIT took 80 ms); past the budget of shaped texts, new shapes run unnamed.
    return this.db.query<ListedRows>(prepared(sql, 'shaped'), params);
  }

  /** What the kept totals and searches hold now (districts' counts, ranked matches) and their bounds, for metrics. */
  kept(): Record<'totalCounts' | 'searchMatches', { size: number; max: number }> {
    return {
      totalCounts: { size: this.totals.calculatedSize, max: KEPT_TOTAL_COUNTS_MAX },
      searchMatches: { size: this.searches.calculatedSize, max: KEPT_SEARCH_MATCHES_MAX },
    };
  }

  /** A number for a kept rule set, for keys of the kept totals and searches (which must not hold the rules alive). */
  private rulesId(rules: object): number {
    let id = this.ruleIds.get(rules);
    if (id === undefined) this.ruleIds.set(rules, (id = ++this.lastRulesId));
    return id;
  }

  /**
   * A page by time, newest first: the total is a sum of index ranges (or, under a
   * tag filter, one pass over the tag's bitmap), the page the first rows of an index.
   */
  private timePage(
    qb: SelectQueryBuilder<ObjectLiteral>,
    caller: AccessPolicy,
    scope: DistrictScope,
    filter: FileFilter,
    first: number,
    after: string | null,
    kept: KeptCounts | null,
  ): PageParts {
    // The scope's districts with their files' versions, each stale when its version is not the one its kept count
    // was counted under (or it has none), and the stale ones' ids: read once, for every term's count.
    const inScope = (column: string) => districtCondition(scope, column, namedParameter(qb, 'districts'));
    const districts = `WITH districts AS MATERIALIZED (
         SELECT d.id, v.version, v.version IS NULL OR v.version::text IS DISTINCT FROM k.known ->> d.id::text AS stale
           FROM district d LEFT JOIN file_listing_version v ON v.district_id = d.id CROSS JOIN (SELECT CAST(:known AS jsonb) AS known) k
          WHERE ${inScope('d.id')}
       ),
       stale AS MATERIALIZED (SELECT ARRAY(SELECT x.id FROM districts x WHERE x.stale) AS ids)`;
    // Counted per district, in the stale ones only: each term's index range, and the grants it reads, narrowed to them.
    const stale: DistrictScope = { districtsSql: 'CAST((SELECT ids FROM stale) AS uuid[])', within: scope };
    const count = filter.tags?.length ? singleCount(qb, stale) : this.disjointCount(caller, stale, filter);
    // None of it is read while the tag of all the versions is the one the total was kept under (a sub-plan
    // under CASE runs only when its branch is taken, and a CTE only when it is read).
    const total = `SELECT NULL::int AS n, files.tag,
                          CASE WHEN files.tag IS DISTINCT FROM CAST(:keptTag AS text) THEN (
                            SELECT json_agg(json_build_array(x.id, x.version, CASE WHEN x.stale THEN coalesce(c.n, 0) END))
                              FROM districts x LEFT JOIN (${count.sql}) c ON c.district_id = x.id
                          ) END AS kept
                     FROM (${filesTagSql(inScope('v.district_id'))}) files`;
    qb.select(FILE_COLUMNS).addSelect('f.updated_at::text', 'sortKey');
    if (after) {
      const [key, id] = decodeTimeCursor(after);
      qb.andWhere('(f.updated_at, f.id) < (CAST(:afterKey AS timestamptz), CAST(:afterId AS uuid))', { afterKey: key, afterId: id });
    }
    qb.orderBy('f.updated_at', 'DESC')
      .addOrderBy('f.id', 'DESC')
      .limit(first + 1);
    return {
      with: districts,
      total,
      page: qb.getQuery(),
      order: '"updatedAt"',
      params: { ...count.params, ...qb.getParameters(), known: kept?.known ?? '{}', keptTag: kept?.tag ?? null },
    };
  }

  /**
   * A page by relevance. Every match must be ranked to find the first, and
   * counting reads the same rows: a full-text match is a GIN bitmap whose rows
   * come from the table, one heap page each. So the matches the caller may
   * discover are read once, with their rank, and both the total and the page
   * come from them (then only the page's rows are read again, by key). When
   * the search is to be kept (`keep`), the statement also returns the files'
   * tag and the first KEPT_SEARCH_MATCHES matches.
   */
  private searchPage(
    qb: SelectQueryBuilder<ObjectLiteral>,
    scope: DistrictScope,
    first: number,
    after: string | null,
    keep: boolean,
  ): PageParts {
    const matched = qb
      .select('f.id', 'id')
      .addSelect('f.district_id', 'districtId')
      .addSelect(`ts_rank(f.search_vector, websearch_to_tsquery('english', :search))`, 'rank');
    const [key, id] = after ? decodeRankCursor(after) : [null, null];
    const cursor = after ? 'WHERE (m.rank, m.id) < (CAST(:afterKey AS real), CAST(:afterId AS uuid))' : '';
    const kept = keep
      ? `(${filesTagSql(districtCondition(scope, 'v.district_id', namedParameter(qb, 'districts')))}) AS tag,
         (SELECT json_agg(json_build_array(k.id, k."districtId", k.rank) ORDER BY k.rank DESC, k.id DESC)
            FROM (SELECT * FROM matched ORDER BY rank DESC, id DESC LIMIT ${KEPT_SEARCH_MATCHES}) k) AS kept`
      : 'NULL::text AS tag, NULL::json AS kept';
    return {
      with: `WITH matched AS MATERIALIZED (${matched.getQuery()})`,
      total: `SELECT count(*)::int AS n, ${kept} FROM matched`,
      page: `SELECT ${FILE_COLUMNS}, m.rank AS "sortKey"
               FROM (SELECT * FROM matched m ${cursor} ORDER BY m.rank DESC, m.id DESC LIMIT ${first + 1}) m
               JOIN data_file f ON f.district_id = m."districtId" AND f.id = m.id`,
      order: '"sortKey"',
      params: { ...qb.getParameters(), ...(after ? { afterKey: key, afterId: id } : {}) },
    };
  }

  /**
   * A page of a kept search: the files of the kept matches `slice`, read by
   * key, and the files' tag now, which tells whether the matches still hold.
   */
  private keptSearchPage(scope: DistrictScope, kept: KeptSearch, slice: KeptSearch['matches']): PageParts {
    const params: ObjectLiteral = {
      keptTotal: kept.total,
      keptIds: slice.map((m) => m.id),
      keptDistricts: slice.map((m) => m.districtId),
      keptRanks: slice.map((m) => m.rank),
    };
    const bindDistricts = (value: unknown) => ((params.districts = value), ':districts');
    return {
      with: '',
      total: `SELECT CAST(:keptTotal AS int) AS n, files.tag, NULL::json AS kept
                FROM (${filesTagSql(districtCondition(scope, 'v.district_id', bindDistricts))}) files`,
      page: `SELECT ${FILE_COLUMNS}, k.rank AS "sortKey"
               FROM unnest(CAST(:keptIds AS uuid[]), CAST(:keptDistricts AS uuid[]), CAST(:keptRanks AS real[])) k(id, district_id, rank)
               JOIN data_file f ON f.district_id = k.district_id AND f.id = k.id`,
      order: '"sortKey"',
      params,
    };
  }

  /**
   * The number of files under the filter that the caller may discover in
   * each district of `scope`, as (district_id, n): the sum of one count per
   * term of the access condition, each term counting only the files that no
   * earlier term allows. Each count is then a range of an index (the PUBLIC
   * files of a category in a district, its INTERNAL files of one district, a
   * department's own files, the few granted files, the ranges a scope grant
   * covers) instead of every file of the filter tested against the whole
   * disjunction (at city size, a member's count of one category tested all
   * 50,661 entries of the category to find 18,854). Each file is counted once,
   * by the first term that is true for it, whatever NULLs the terms meet
   * (`IS NOT TRUE`).
   */
  private disjointCount(caller: AccessPolicy, scope: DistrictScope, filter: FileFilter): { sql: string; params: ObjectLiteral } {
    const terms = caller.fileConditionTerms('f', 'DISCOVER', scope);
    const counts = terms.map((term, i) => {
      const qb = this.db
        .createQueryBuilder()
        .from('data_file', 'f')
        .select('f.district_id', 'district_id')
        .addSelect('count(*)', 'n')
        .where(term.sql, term.params);
      for (const earlier of terms.slice(0, i)) qb.andWhere(`(${earlier.sql}) IS NOT TRUE`);
      applyFileFilter(qb, scope, filter);
      return qb.groupBy('f.district_id');
    });
    return {
      sql: `SELECT t.district_id, sum(t.n)::int AS n FROM (${counts.map((c) => c.getQuery()).join(' UNION ALL ')}) t GROUP BY t.district_id`,
      params: Object.assign({}, ...counts.map((c) => c.getParameters())) as ObjectLiteral,
    };
  }

  /** A file with its schema (in field order), in one statement. */
  async findWithFields(
    scope: DistrictScope,
    id: string,
    db: EntityManager = this.db.manager,
  ): Promise<(DataFileRow & { fields: DataFieldRow[] }) | null> {
    const p = new SqlParams(id);
    const rows = await db.query<(DataFileRow & { fields: DataFieldRow[] })[]>(
      prepared(`SELECT ${FILE_COLUMNS}, ${fieldsJsonSql('f')} AS fields FROM data_file f
        WHERE ${districtCondition(scope, 'f.district_id', (v) => p.bind(v))} AND f.id = $1`),
      p.values,
    );
    return rows[0] ?? null;
  }

  async findById(scope: DistrictScope, id: string, db: EntityManager = this.db.manager): Promise<DataFileRow | null> {
    return (await this.findByIds(scope, [id], db))[0] ?? null;
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

  /** Locks a file's row for a schema change and returns its current schema version: two changes of one file take turns. */
  async lockSchemaVersion(tx: EntityManager, key: FileKey): Promise<number | null> {
    const [row] = await tx.query<{ schema_version: number }[]>(
      `SELECT schema_version FROM data_file WHERE district_id = $1 AND id = $2 FOR UPDATE`,
      [key.districtId, key.id],
    );
    return row?.schema_version ?? null;
  }

  /**
   * Writes a schema change: fields added after the last, fields altered in
   * place, and the file's schema version (its search terms do not name its
   * fields: the field catalogue is READ's, a search is DISCOVER's).
   */
  async changeSchema(
    tx: EntityManager,
    key: FileKey,
    added: DataFieldRow[],
    altered: DataFieldRow[],
    schemaVersion: number,
  ): Promise<void> {
    if (added.length) {
      await tx.query(
        `INSERT INTO data_field (district_id, file_id, position, name, type, sensitive, description)
         SELECT $1, $2, (SELECT coalesce(max(position), -1) FROM data_field WHERE district_id = $1 AND file_id = $2) + r.n,
                r.name, r.type, r.sensitive, r.description
           FROM jsonb_to_recordset($3::jsonb) AS r(n int, name text, type text, sensitive boolean, description text)`,
        [key.districtId, key.id, JSON.stringify(added.map((f, i) => ({ n: i + 1, ...f })))],
      );
    }
    if (altered.length) {
      await tx.query(
        `UPDATE data_field d SET type = r.type, sensitive = r.sensitive, description = r.description
           FROM jsonb_to_recordset($3::jsonb) AS r(name text, type text, sensitive boolean, description text)
          WHERE d.district_id = $1 AND d.file_id = $2 AND d.name = r.name`,
        [key.districtId, key.id, JSON.stringify(altered)],
      );
    }
    await tx.query(`UPDATE data_file f SET schema_version = $3, updated_at = now() WHERE f.district_id = $1 AND f.id = $2`, [
      key.districtId,
      key.id,
      schemaVersion,
    ]);
  }

  async findByIds(scope: DistrictScope, ids: readonly string[], db: EntityManager = this.db.manager): Promise<DataFileRow[]> {
    const p = new SqlParams(ids);
    return await db.query<DataFileRow[]>(
      `SELECT ${FILE_COLUMNS} FROM data_file f WHERE ${districtCondition(scope, 'f.district_id', (v) => p.bind(v))} AND f.id = ANY($1::uuid[])`,
      p.values,
    );
  }

  /**
   * The schemas of many files in one query, in field order. The keys' districts are named on their own as
   * well: no planner prunes by pairs read from unnest.
   */
  async fieldsOf(keys: readonly FileKey[], db: EntityManager = this.db.manager): Promise<Map<string, DataFieldRow[]>> {
    const p = new SqlParams(
      keys.map((k) => k.districtId),
      keys.map((k) => k.id),
    );
    const rows = await db.query<(DataFieldRow & { file_id: string })[]>(
      `SELECT file_id, name, type, sensitive, description
         FROM data_field
        WHERE ${districtCondition(districtsOf(keys), 'district_id', (v) => p.bind(v))}
          AND (district_id, file_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
        ORDER BY file_id, position`,
      p.values,
    );
    const byFile = new Map<string, DataFieldRow[]>(keys.map((k) => [k.id, []]));
    for (const { file_id, ...field } of rows) byFile.get(file_id)?.push(field);
    return byFile;
  }

  /**
   * Inserts files with their fields; a file whose code its owning department
   * already has is left as it is, so that re-running a load does not
   * duplicate. Returns the ids of the files inserted (for the caller to audit
   * exactly those).
   */
  async insertMany(db: EntityManager, files: NewFile[]): Promise<string[]> {
    if (files.length === 0) return [];
    const inserted = await db.query<{ district_id: string; id: string; code: string; owner_department_id: string }[]>(
      `INSERT INTO data_file (district_id, id, code, title, description, owner_department_id, classification,
                              category, tags, format, update_frequency, created_at, updated_at, search_vector)
       SELECT r.district_id, coalesce(r.id, gen_random_uuid()), r.code, r.title, r.description, r.owner_department_id,
              r.classification, r.category, r.tags, r.format, r.update_frequency,
              coalesce(r.updated_at, now()), coalesce(r.updated_at, now()),
              data_file_search_vector(r.title, r.description, r.tags)
         FROM jsonb_to_recordset($1::jsonb) AS r(
                district_id uuid, id uuid, code text, title text, description text, owner_department_id uuid,
                classification text, category text, tags text[], format text, update_frequency text,
                updated_at timestamptz)
       ON CONFLICT (district_id, owner_department_id, code) DO NOTHING
       RETURNING district_id, id, code, owner_department_id`,
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
          })),
        ),
      ],
    );
    if (inserted.length === 0) return [];
    const byCode = new Map(files.map((f) => [`${f.districtId}/${f.ownerDepartmentId}/${f.code}`, f]));
    const fields = inserted.flatMap((row) =>
      (byCode.get(`${row.district_id}/${row.owner_department_id}/${row.code}`)?.fields ?? []).map((field, position) => ({
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
    return inserted.map((row) => row.id);
  }
}
