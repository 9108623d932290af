import type { DataSource, EntityManager } from 'typeorm';
import type { Action, Classification, FileFacts } from './actions.js';
import type { FieldFacts } from './access-policy.js';
import { GRANT_IN_FORCE_AT_SQL } from './grants.repository.js';
import type { SqlFragment } from './rules-to-sql.js';

export interface PermissionRow {
  id: string;
  districtId: string;
  districtCode: string;
  fileId: string | null;
  scopeCategory: string | null;
  scopeMaxClassification: Classification | null;
  granteeDepartmentId: string;
  granteeCode: string;
  action: Action;
  fields: string[] | null;
  purpose: string;
  validFrom: Date;
  expiresAt: Date | null;
  grantedBy: string;
  grantedAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  ownerDepartmentId: string | null;
  ownerCode: string | null;
}

const COLUMNS = `
  p.id, p.district_id AS "districtId", di.code AS "districtCode", p.file_id AS "fileId",
  p.scope_category AS "scopeCategory", p.scope_max_classification AS "scopeMaxClassification",
  p.grantee_department_id AS "granteeDepartmentId", g.code AS "granteeCode", p.action, p.fields, p.purpose,
  p.valid_from AS "validFrom", p.expires_at AS "expiresAt", p.granted_by AS "grantedBy", p.granted_at AS "grantedAt",
  p.revoked_at AS "revokedAt", p.revoked_by AS "revokedBy", p.revoke_reason AS "revokeReason",
  f.owner_department_id AS "ownerDepartmentId", o.code AS "ownerCode"`;

const FROM = `
  permission p
  JOIN district di ON di.id = p.district_id
  JOIN department g ON g.id = p.grantee_department_id
  LEFT JOIN data_file f ON f.district_id = p.district_id AND f.id = p.file_id
  LEFT JOIN department o ON o.id = f.owner_department_id`;

export type FileWithSchema = FileFacts & { districtCode: string; ownerCode: string; fields: FieldFacts[] };

export interface NewPermission {
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
}

export interface PermissionQuery {
  fileId?: string | null;
  granteeDepartmentId?: string | null;
  /** Grants in force at this instant; null lists every grant ever made. */
  activeAt: Date | null;
}

export class PermissionsRepository {
  constructor(private readonly db: DataSource) {}

  async fileFacts(id: string, db: EntityManager = this.db.manager): Promise<FileWithSchema | null> {
    const [file] = await db.query<(Omit<FileWithSchema, 'fields'> & { fields: FieldFacts[] | null })[]>(
      `SELECT f.id, f.district_id AS "districtId", f.owner_department_id AS "ownerDepartmentId", f.classification, f.category,
              di.code AS "districtCode", o.code AS "ownerCode",
              (SELECT json_agg(json_build_object('name', x.name, 'sensitive', x.sensitive) ORDER BY x.position)
                 FROM data_field x WHERE x.district_id = f.district_id AND x.file_id = f.id) AS fields
         FROM data_file f JOIN district di ON di.id = f.district_id JOIN department o ON o.id = f.owner_department_id
        WHERE f.id = $1`,
      [id],
    );
    return file ? { ...file, fields: file.fields ?? [] } : null;
  }

  async byId(id: string, db: EntityManager = this.db.manager, lock = false): Promise<PermissionRow | null> {
    const [row] = await db.query<PermissionRow[]>(`SELECT ${COLUMNS} FROM ${FROM} WHERE p.id = $1 ${lock ? 'FOR UPDATE OF p' : ''}`, [id]);
    return row ?? null;
  }

  async byIds(ids: readonly string[]): Promise<PermissionRow[]> {
    return this.db.query<PermissionRow[]>(`SELECT ${COLUMNS} FROM ${FROM} WHERE p.id = ANY($1::uuid[])`, [ids]);
  }

  /** An active grant of exactly this shape, locked so that a concurrent grant of the same waits. */
  async findSame(tx: EntityManager, p: NewPermission, at: Date): Promise<PermissionRow | null> {
    const [row] = await tx.query<PermissionRow[]>(
      `SELECT ${COLUMNS} FROM ${FROM}
        WHERE p.district_id = $1 AND p.file_id IS NOT DISTINCT FROM $2 AND p.scope_category IS NOT DISTINCT FROM $3
          AND p.scope_max_classification IS NOT DISTINCT FROM $4 AND p.grantee_department_id = $5 AND p.action = $6
          AND p.fields IS NOT DISTINCT FROM $7 AND p.purpose = $8
          AND p.revoked_at IS NULL AND p.valid_from <= $9 AND (p.expires_at IS NULL OR p.expires_at > $9)
        ORDER BY p.expires_at DESC NULLS FIRST LIMIT 1 FOR UPDATE OF p`,
      [
        p.districtId,
        p.fileId,
        p.scopeCategory,
        p.scopeMaxClassification,
        p.granteeDepartmentId,
        p.action,
        p.fields ? [...p.fields].sort() : null,
        p.purpose,
        at,
      ],
    );
    return row ?? null;
  }

  async insert(tx: EntityManager, p: NewPermission): Promise<string> {
    const [row] = await tx.query<{ id: string }[]>(
      `INSERT INTO permission (district_id, file_id, scope_category, scope_max_classification, grantee_department_id,
                               action, fields, purpose, expires_at, granted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        p.districtId,
        p.fileId,
        p.scopeCategory,
        p.scopeMaxClassification,
        p.granteeDepartmentId,
        p.action,
        p.fields ? [...p.fields].sort() : null,
        p.purpose,
        p.expiresAt,
        p.grantedBy,
      ],
    );
    return row.id;
  }

  async extend(tx: EntityManager, id: string, expiresAt: Date | null): Promise<void> {
    await tx.query(`UPDATE permission SET expires_at = $2 WHERE id = $1`, [id, expiresAt]);
  }

  /** Revokes unless already revoked; returns whether this call did it. */
  async revoke(tx: EntityManager, id: string, by: string, reason: string): Promise<boolean> {
    // A SELECT around the UPDATE, so that the driver returns rows rather than a row count.
    const rows = await tx.query<{ id: string }[]>(
      `WITH revoked AS (
         UPDATE permission SET revoked_at = now(), revoked_by = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id
       ) SELECT id FROM revoked`,
      [id, by, reason],
    );
    return rows.length > 0;
  }

  async list(visible: SqlFragment, query: PermissionQuery, limit: number, db: EntityManager = this.db.manager): Promise<PermissionRow[]> {
    const qb = db
      .createQueryBuilder()
      .select(COLUMNS)
      .from('permission', 'p')
      .innerJoin('district', 'di', 'di.id = p.district_id')
      .innerJoin('department', 'g', 'g.id = p.grantee_department_id')
      .leftJoin('data_file', 'f', 'f.district_id = p.district_id AND f.id = p.file_id')
      .leftJoin('department', 'o', 'o.id = f.owner_department_id')
      .where(visible.sql, visible.params);
    if (query.fileId) qb.andWhere('p.file_id = :fileId', { fileId: query.fileId });
    if (query.granteeDepartmentId) qb.andWhere('p.grantee_department_id = :grantee', { grantee: query.granteeDepartmentId });
    if (query.activeAt) {
      qb.andWhere(GRANT_IN_FORCE_AT_SQL, { at: query.activeAt });
    }
    return qb.orderBy('p.granted_at', 'DESC').addOrderBy('p.id', 'DESC').limit(limit).getRawMany<PermissionRow>();
  }

  async departmentByCode(
    code: string,
    db: EntityManager = this.db.manager,
  ): Promise<{ id: string; code: string; districtId: string; districtCode: string; name: string } | null> {
    const [row] = await db.query<{ id: string; code: string; districtId: string; districtCode: string; name: string }[]>(
      `SELECT d.id, d.code, d.name, d.district_id AS "districtId", di.code AS "districtCode" FROM department d JOIN district di ON di.id = d.district_id WHERE d.code = $1`,
      [code],
    );
    return row ?? null;
  }

  async districtByCode(code: string): Promise<{ id: string; code: string } | null> {
    const [row] = await this.db.query<{ id: string; code: string }[]>(`SELECT id, code FROM district WHERE code = $1`, [code]);
    return row ?? null;
  }
}
