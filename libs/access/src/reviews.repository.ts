import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { districtCondition, SqlParams, type DistrictScope } from '@app/common';
import type { Action, Classification, HeldFields } from './actions.js';
import { grantEndSql, instantSql, NOW_SQL } from './grant-in-force.js';

/**
 * The fields a grant's open reviews hold at an instant, per file, as a jsonb
 * array of HeldFields (null when none) for the permission row `alias`. The
 * instant is written as for grantInForceSql: a named parameter, `$n`, or a column.
 */
export function heldAtSql(alias: string, at: string): string {
  const t = instantSql(at);
  return `(SELECT jsonb_agg(jsonb_build_object('fileId', r.file_id, 'fields', r.fields, 'schemaVersion', r.schema_version) ORDER BY r.opened_at)
             FROM permission_review r
            WHERE r.district_id = ${alias}.district_id AND r.permission_id = ${alias}.id
              AND r.opened_at <= ${t} AND (r.resolved_at IS NULL OR r.resolved_at > ${t}))`;
}

/** A grant a schema change may touch: an EXCHANGE grant in force on the file, or by a scope that covers it. */
export interface GrantOnFile {
  id: string;
  districtId: string;
  fileId: string | null;
  granteeDepartmentId: string;
  action: Action;
  fields: string[] | null;
}

/** An open review: what it holds, on which file, since which schema change. */
export interface OpenReview {
  id: string;
  fileId: string;
  fields: string[];
  schemaVersion: number;
  changes: string;
}

/** The reviews of grants after schema changes (permission_review), written only here. */
@Injectable()
export class ReviewsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * The EXCHANGE grants not ended at `at` that give values of the file: on it,
   * or by a scope of its district and category up to its classification.
   * Those dated to start later are held too: they were decided on the schema
   * before the change as much as those in force.
   * Locked, so that a revocation or a re-approval at once waits for the change.
   */
  async exchangeGrantsOn(
    tx: EntityManager,
    file: { districtId: string; id: string; category: string; classification: Classification },
    at: Date,
  ): Promise<GrantOnFile[]> {
    return tx.query<GrantOnFile[]>(
      `SELECT p.id, p.district_id AS "districtId", p.file_id AS "fileId", p.grantee_department_id AS "granteeDepartmentId",
              p.action, p.fields
         FROM permission p
        WHERE p.district_id = $1 AND p.action = 'EXCHANGE' AND ${grantEndSql('p')} > $5
          AND (p.file_id = $2
               OR (p.file_id IS NULL AND p.scope_category = $3
                   AND classification_rank(p.scope_max_classification) >= classification_rank($4)))
        ORDER BY p.id
        FOR UPDATE OF p`,
      [file.districtId, file.id, file.category, file.classification, at],
    );
  }

  /** Opens one review per grant, holding its fields on the file from this schema version on. */
  async open(
    tx: EntityManager,
    fileId: string,
    schemaVersion: number,
    by: string,
    held: { grant: GrantOnFile; fields: string[]; changes: string }[],
  ): Promise<void> {
    if (held.length === 0) return;
    await tx.query(
      `INSERT INTO permission_review (district_id, permission_id, file_id, schema_version, fields, changes, opened_by)
       SELECT r.district_id, r.permission_id, $1, $2, r.fields, r.changes, $3
         FROM jsonb_to_recordset($4::jsonb) AS r(district_id uuid, permission_id uuid, fields text[], changes text)`,
      [
        fileId,
        schemaVersion,
        by,
        JSON.stringify(
          held.map((h) => ({ district_id: h.grant.districtId, permission_id: h.grant.id, fields: h.fields, changes: h.changes })),
        ),
      ],
    );
  }

  /** The open reviews of a grant, on one file or on every file, oldest first; locked for their resolution. */
  async openOf(tx: EntityManager, grant: { districtId: string; id: string }, fileId: string | null): Promise<OpenReview[]> {
    return tx.query<OpenReview[]>(
      `SELECT r.id, r.file_id AS "fileId", r.fields, r.schema_version AS "schemaVersion", r.changes
         FROM permission_review r
        WHERE r.district_id = $1 AND r.permission_id = $2 AND r.resolved_at IS NULL AND ($3::uuid IS NULL OR r.file_id = $3)
        ORDER BY r.opened_at, r.id
        FOR UPDATE`,
      [grant.districtId, grant.id, fileId],
    );
  }

  async resolve(tx: EntityManager, districtId: string, ids: string[], by: string, note: string | null): Promise<void> {
    await tx.query(
      `UPDATE permission_review SET resolved_at = ${NOW_SQL}, resolved_by = $3, resolve_note = $4
        WHERE district_id = $1 AND id = ANY($2::uuid[]) AND resolved_at IS NULL`,
      [districtId, ids, by, note],
    );
  }

  /** The fields each grant of `scope` holds for review now, on any file (union), in one query; grants with none are absent. */
  async heldNow(scope: DistrictScope, ids: readonly string[]): Promise<Map<string, HeldFields[]>> {
    if (ids.length === 0) return new Map();
    const p = new SqlParams(ids, new Date());
    const rows = await this.db.query<{ id: string; held: HeldFields[] | null }[]>(
      `SELECT p.id, ${heldAtSql('p', '$2')} AS held FROM permission p
        WHERE ${districtCondition(scope, 'p.district_id', (v) => p.bind(v))} AND p.id = ANY($1::uuid[])`,
      p.values,
    );
    return new Map(rows.filter((r) => r.held?.length).map((r) => [r.id, r.held!]));
  }
}
