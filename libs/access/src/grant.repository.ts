import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { prepared } from '@app/database';
import { decodeTimeCursor, districtCondition, namedParameter, newId, SqlParams, toPage, type DistrictScope, type Page } from '@app/common';
import type { Action, Classification } from './actions.js';
import { FileCatalog } from './file-catalog.js';
import { grantInForceSql, NOW_SQL } from './grant-in-force.js';
import type { SqlFragment } from './rules-to-sql.js';

/** A grant's primary key: the district first, as everywhere. */
export interface PermissionKey {
  districtId: string;
  id: string;
}

/** A grant as written: what a granter decides. */
export interface NewGrantRow {
  districtId: string;
  fileId: string | null;
  scopeCategory: string | null;
  scopeMaxClassification: Classification | null;
  granteeDepartmentId: string;
  action: Action;
  fields: string[] | null;
  purpose: string;
  expiresAt: Date | null;
  grantedBy: string;
  /** The file's versions the grant is decided on (null for a scope grant, which covers many files). */
  fileVersion: number | null;
  schemaVersion: number | null;
}

/** A grant as stored: as written, plus what the table adds, and the owner of its file (null for a scope grant). */
export interface StoredGrant extends NewGrantRow {
  id: string;
  validFrom: Date;
  grantedAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  ownerDepartmentId: string | null;
}

const columns = (ownerSql: string) => `
  p.id, p.district_id AS "districtId", p.file_id AS "fileId",
  p.scope_category AS "scopeCategory", p.scope_max_classification AS "scopeMaxClassification",
  p.grantee_department_id AS "granteeDepartmentId", p.action, p.fields, p.purpose,
  p.valid_from AS "validFrom", p.expires_at AS "expiresAt", p.granted_by AS "grantedBy", p.granted_at AS "grantedAt",
  p.revoked_at AS "revokedAt", p.revoked_by AS "revokedBy", p.revoke_reason AS "revokeReason",
  p.file_version AS "fileVersion", p.schema_version AS "schemaVersion",
  ${ownerSql} AS "ownerDepartmentId"`;

export interface PermissionQuery {
  fileId?: string | null;
  granteeDepartmentId?: string | null;
  /** Grants in force at this instant; null lists every grant ever made. */
  activeAt: Date | null;
}

/**
 * A grant's shape as it is written and as findSame compares it: its district,
 * file or scope, grantee, action, fields (sorted, so that one set of fields has
 * one form) and purpose, in that order ($1 to $8).
 */
const shapeValues = (p: NewGrantRow): unknown[] => [
  p.districtId,
  p.fileId,
  p.scopeCategory,
  p.scopeMaxClassification,
  p.granteeDepartmentId,
  p.action,
  p.fields ? [...p.fields].sort() : null,
  p.purpose,
];

/** The permission table: the grant history, written only here. */
@Injectable()
export class GrantRepository {
  private readonly columns: string;

  /** @param catalog gives the owning department of a grant's file, as SQL over `p` */
  constructor(
    private readonly db: DataSource,
    catalog: FileCatalog,
  ) {
    this.columns = columns(catalog.fileOwnerSql('p'));
  }

  /**
   * By id in `scope`: ANY_DISTRICT for a lookup that starts from the id the
   * API was given (it carries no district); everything after it goes by the
   * full key, a lock included.
   */
  async byId(scope: DistrictScope, id: string, db: EntityManager = this.db.manager): Promise<StoredGrant | null> {
    return (await this.byIds(scope, [id], db))[0] ?? null;
  }

  /** By the full key; `lock` takes the row FOR UPDATE, on its district alone. */
  async byKey(key: PermissionKey, db: EntityManager = this.db.manager, lock = false): Promise<StoredGrant | null> {
    const [row] = await db.query<StoredGrant[]>(
      `SELECT ${this.columns} FROM permission p WHERE p.district_id = $1 AND p.id = $2 ${lock ? 'FOR UPDATE OF p' : ''}`,
      [key.districtId, key.id],
    );
    return row ?? null;
  }

  /** By id in `scope`, with whether `visible` (the caller's view of grants) admits it: the one read of a revocation. */
  async byIdSeenBy(scope: DistrictScope, id: string, visible: SqlFragment): Promise<{ permission: StoredGrant; visible: boolean } | null> {
    // On every revocation's path: plain SQL, prepared, its named parameters (the visibility's) made positional once.
    const named: Record<string, unknown> = { ...visible.params, only: id };
    const [sql, values] = this.db.driver.escapeQueryWithParameters(
      `SELECT ${this.columns}, (${visible.sql}) AS visible FROM permission p
        WHERE ${districtCondition(scope, 'p.district_id', (v) => ((named.onlyDistricts = v), ':onlyDistricts'))} AND p.id = :only`,
      named,
    );
    const [row] = await this.db.query<(StoredGrant & { visible: boolean })[]>(prepared(sql), values);
    if (!row) return null;
    const { visible: seen, ...permission } = row;
    return { permission, visible: seen };
  }

  /**
   * Revokes unless already revoked and appends its audit entry (`audit`, a
   * FROM item bound in the same parameters), in one statement: the entry is
   * appended only if the row was revoked, and both commit together. Returns the
   * grant as revoked, or null when it already was.
   */
  async revokeAudited(key: PermissionKey, by: string, reason: string, audit: (params: SqlParams) => string): Promise<StoredGrant | null> {
    const params = new SqlParams();
    const [row] = await this.db.query<(StoredGrant & { appended: number })[]>(
      prepared(`WITH revoked AS (
         UPDATE permission SET revoked_at = ${NOW_SQL}, revoked_by = ${params.bind(by)}, revoke_reason = ${params.bind(reason)}
          WHERE district_id = ${params.bind(key.districtId)} AND id = ${params.bind(key.id)} AND revoked_at IS NULL
          RETURNING *
       ), audited AS (SELECT a.seq FROM ${audit(params)} a WHERE EXISTS (SELECT 1 FROM revoked))
       SELECT ${this.columns}, (SELECT count(*)::int FROM audited) AS appended FROM revoked p`),
      params.values,
    );
    if (!row) return null;
    const { appended, ...permission } = row;
    if (appended !== 1) throw new Error('a revocation was written without its audit entry');
    return permission;
  }

  async byIds(scope: DistrictScope, ids: readonly string[], db: EntityManager = this.db.manager): Promise<StoredGrant[]> {
    const p = new SqlParams(ids);
    return db.query<StoredGrant[]>(
      `SELECT ${this.columns} FROM permission p WHERE ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))} AND p.id = ANY($1::uuid[])`,
      p.values,
    );
  }

  /** An active grant of exactly this shape, locked so that a concurrent grant of the same waits. */
  async findSame(tx: EntityManager, p: NewGrantRow, at: Date): Promise<StoredGrant | null> {
    const [row] = await tx.query<StoredGrant[]>(
      `SELECT ${this.columns} FROM permission p
        WHERE p.district_id = $1 AND p.file_id IS NOT DISTINCT FROM $2 AND p.scope_category IS NOT DISTINCT FROM $3
          AND p.scope_max_classification IS NOT DISTINCT FROM $4 AND p.grantee_department_id = $5 AND p.action = $6
          AND p.fields IS NOT DISTINCT FROM $7 AND p.purpose = $8
          AND ${grantInForceSql('p', '$9')}
        ORDER BY p.expires_at DESC NULLS FIRST LIMIT 1 FOR UPDATE OF p`,
      [...shapeValues(p), at],
    );
    return row ?? null;
  }

  async insert(tx: EntityManager, p: NewGrantRow): Promise<string> {
    const [row] = await tx.query<{ id: string }[]>(
      `INSERT INTO permission (district_id, file_id, scope_category, scope_max_classification, grantee_department_id,
                               action, fields, purpose, expires_at, granted_by, file_version, schema_version, id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [...shapeValues(p), p.expiresAt, p.grantedBy, p.fileVersion, p.schemaVersion, newId()],
    );
    return row.id;
  }

  /**
   * Records that the grant is now decided on these versions of its file (a
   * re-approval, an extension, an approval that reuses it); whether they
   * differ from those it recorded (else nothing is written).
   */
  async decidedOn(tx: EntityManager, key: PermissionKey, fileVersion: number, schemaVersion: number): Promise<boolean> {
    const [row] = await tx.query<{ changed: boolean }[]>(
      `WITH decided AS (
         UPDATE permission SET file_version = $3, schema_version = $4
          WHERE district_id = $1 AND id = $2 AND (file_version, schema_version) IS DISTINCT FROM ($3::int, $4::int)
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM decided) AS changed`,
      [key.districtId, key.id, fileVersion, schemaVersion],
    );
    return row.changed;
  }

  async extend(tx: EntityManager, key: PermissionKey, expiresAt: Date | null): Promise<void> {
    await tx.query(`UPDATE permission SET expires_at = $3 WHERE district_id = $1 AND id = $2`, [key.districtId, key.id, expiresAt]);
  }

  /** The grants the caller may see that match `query` in `scope`, newest first, a page at a time. */
  async list(
    scope: DistrictScope,
    visible: SqlFragment,
    query: PermissionQuery,
    first: number,
    after: string | null,
  ): Promise<Page<StoredGrant>> {
    const qb = this.matching(scope, visible, query).select(`${this.columns}, p.granted_at::text AS "sortKey"`);
    if (after) {
      const [key, id] = decodeTimeCursor(after);
      qb.andWhere('(p.granted_at, p.id) < (:afterKey::timestamptz, :afterId::uuid)', { afterKey: key, afterId: id });
    }
    const rows = await qb
      .orderBy('p.granted_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(first + 1)
      .getRawMany<StoredGrant & { sortKey: string }>();
    return toPage(rows, first, (r) => [r.sortKey, r.id]);
  }

  /** How many grants `list` would page through: the same predicate, counted. */
  async count(scope: DistrictScope, visible: SqlFragment, query: PermissionQuery, db: EntityManager = this.db.manager): Promise<number> {
    const { n } = (await this.matching(scope, visible, query, db).select('count(*)::int', 'n').getRawOne<{ n: number }>())!;
    return n;
  }

  private matching(scope: DistrictScope, visible: SqlFragment, query: PermissionQuery, db: EntityManager = this.db.manager) {
    const qb = db.createQueryBuilder().from('permission', 'p').where(visible.sql, visible.params);
    qb.andWhere(districtCondition(scope, 'p.district_id', namedParameter(qb, 'districts')));
    if (query.fileId) qb.andWhere('p.file_id = :fileId', { fileId: query.fileId });
    if (query.granteeDepartmentId) qb.andWhere('p.grantee_department_id = :grantee', { grantee: query.granteeDepartmentId });
    if (query.activeAt) qb.andWhere(grantInForceSql('p', 'at'), { at: query.activeAt });
    return qb;
  }

  /** Grants in `scope` in force at `from` that expire after it and at or before `to`, soonest first (for expiry notices). */
  async expiringBetween(scope: DistrictScope, from: Date, to: Date, limit: number): Promise<StoredGrant[]> {
    const p = new SqlParams(from, to, limit);
    return this.db.query<StoredGrant[]>(
      `SELECT ${this.columns} FROM permission p
        WHERE ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))} AND ${grantInForceSql('p', '$1')} AND p.expires_at <= $2
        ORDER BY p.expires_at, p.id LIMIT $3`,
      p.values,
    );
  }
}

/**
 * The SQL of a grant that another library's statement writes (an approval:
 * its exchange, this grant and their audit entries in one statement), bound
 * in that statement's parameters.
 */
export const grantInStatementSql = {
  /**
   * True when no grant of this shape is in force, looked up after taking the
   * lock that grants of the shape take (permission_same_in_force), so that two
   * at once still make one row.
   */
  noSameInForce(p: NewGrantRow, params: SqlParams): string {
    if (!p.fileId) throw new Error('an approval grants on a file');
    return `NOT permission_same_in_force(${params.bind(p.districtId)}::uuid, ${params.bind(p.fileId)}::uuid, ${params.bind(
      p.granteeDepartmentId,
    )}::uuid, ${params.bind(p.action)}, ${params.bind(p.fields)}::text[], ${params.bind(p.purpose)})`;
  },

  /**
   * True while every grant of `keys` is unrevoked and in force at the
   * statement's time, each taken with a share lock: a revocation of one of
   * them waits for the statement's transaction, or the statement waits for it
   * and then sees it revoked (whatever instant the revocation is dated). For
   * a write decided on grants read earlier.
   */
  stillInForce(keys: readonly { districtId: string; id: string }[], params: SqlParams): string {
    if (keys.length === 0) return 'TRUE';
    return `((SELECT count(*) FROM (SELECT 1 FROM permission p
                WHERE p.district_id = ANY(${params.bind(keys.map((k) => k.districtId))}::uuid[])
                  AND p.id = ANY(${params.bind(keys.map((k) => k.id))}::uuid[])
                  AND p.revoked_at IS NULL AND ${grantInForceSql('p', NOW_SQL)}
                FOR SHARE OF p) held) = ${keys.length})`;
  },

  /**
   * The INSERT of grant `id`, one row per row of `from` (none when it has none), as a data-modifying CTE's body.
   * `decidedOn` are SQL expressions over `from` for the file's version and schema version the grant is decided
   * on: the approval's statement reads them from the file row it locked, so no schema change slips in between.
   */
  insert(id: string, p: NewGrantRow, params: SqlParams, from: string, decidedOn: { fileVersion: string; schemaVersion: string }): string {
    return `INSERT INTO permission (district_id, id, file_id, scope_category, scope_max_classification, grantee_department_id,
                                    action, fields, purpose, expires_at, granted_by, file_version, schema_version)
            SELECT ${params.bind(p.districtId)}::uuid, ${params.bind(id)}::uuid, ${params.bind(p.fileId)}::uuid, NULL, NULL,
                   ${params.bind(p.granteeDepartmentId)}::uuid, ${params.bind(p.action)}, ${params.bind(p.fields)}::text[],
                   ${params.bind(p.purpose)}, ${params.bind(p.expiresAt)}::timestamptz, ${params.bind(p.grantedBy)},
                   ${decidedOn.fileVersion}, ${decidedOn.schemaVersion}
              FROM ${from}
            RETURNING id`;
  },
};
