import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { prepared } from '@app/database';
import { decodeTimeCursor, districtCondition, SqlParams, toPage, type DistrictScope, type Page } from '@app/common';
import { DirectoryService, type FileFactsJson } from '@app/directory';

export type ExchangeStatus = 'REQUESTED' | 'APPROVED' | 'REJECTED' | 'DELIVERED';

export interface ExchangeRow {
  id: string;
  districtId: string;
  districtCode: string;
  fileId: string;
  ownerDepartmentId: string;
  ownerCode: string;
  requesterDepartmentId: string;
  requesterCode: string;
  requestedBy: string;
  fields: string[];
  purpose: string;
  status: ExchangeStatus;
  requestedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionNote: string | null;
  permissionId: string | null;
  deliveredAt: Date | null;
  deliveredVersion: number | null;
  contentHash: string | null;
  /** The file's published version and schema version when the exchange was approved. */
  fileVersion: number | null;
  schemaVersion: number | null;
  /** Approved fields a delivery left out because the grant holds them for review after a schema change. */
  withheldFields: string[] | null;
}

/** An exchange's primary key: the district first, as everywhere. */
export interface ExchangeKey {
  districtId: string;
  id: string;
}

/** An exchange as stored, with its file's owner; the codes it is shown by are added by the service. */
export type StoredExchange = Omit<ExchangeRow, 'districtCode' | 'ownerCode' | 'requesterCode'>;

const columns = (ownerSql: string) => `
  x.id, x.district_id AS "districtId", x.file_id AS "fileId", ${ownerSql} AS "ownerDepartmentId",
  x.requester_department_id AS "requesterDepartmentId", x.requested_by AS "requestedBy",
  x.fields, x.purpose, x.status, x.requested_at AS "requestedAt", x.decided_at AS "decidedAt", x.decided_by AS "decidedBy",
  x.decision_note AS "decisionNote", x.permission_id AS "permissionId", x.delivered_at AS "deliveredAt",
  x.delivered_version AS "deliveredVersion", x.content_hash AS "contentHash",
  x.file_version AS "fileVersion", x.schema_version AS "schemaVersion", x.withheld_fields AS "withheldFields",
  x.requested_at::text AS "sortKey"`;

/** A new exchange as a request writes it: requested, or approved at once by a grant that covers it. */
export interface NewExchange {
  districtId: string;
  id: string;
  fileId: string;
  requesterDepartmentId: string;
  requestedBy: string;
  fields: string[];
  purpose: string;
  /** With the file's versions the covering grant approves it on (as the request read them). */
  approvedBy: { by: string; note: string; permissionId: string; fileVersion: number; schemaVersion: number } | null;
}

/** The audit append of a step, as a FROM item bound in the step's statement (AuditLog.inStatement). */
export type AuditCall = (params: SqlParams) => string;

/** What a delivery decides on, read in one statement: the exchange, its file, and the rows of the file's current version. */
export interface DeliveryFacts {
  exchange: StoredExchange;
  file: FileFactsJson | null;
  /** Only for an approved exchange read by its requester (empty when the file's version is 0: nothing published); else null. */
  records: Record<string, unknown>[] | null;
}

@Injectable()
export class ExchangeRepository {
  private readonly columns: string;
  /** The exchanges on files of the department $2: the directory writes the sub-query over its table. */
  private readonly onOwnedFiles: string;
  private readonly fileFacts: string;
  private readonly fileVersionsLocked: string;

  constructor(
    private readonly db: DataSource,
    directory: DirectoryService,
  ) {
    this.columns = columns(directory.fileOwnerSql('x'));
    this.onOwnedFiles = `(x.district_id, x.file_id) IN ${directory.filesOwnedBySql('$2')}`;
    this.fileFacts = directory.fileFactsJsonSql('x');
    this.fileVersionsLocked = directory.fileVersionsLockedSql('x');
  }

  /**
   * A step's write and its audit entries in one statement: `writes` are the
   * step's data-modifying CTEs, the last of which (`written`) returns the
   * exchange row. The append is called only if that row was written
   * (`written` is also what the audit's WHERE waits for), and the statement
   * commits or fails whole. Null when nothing was written.
   */
  private async writeAudited(params: SqlParams, writes: string, audit: AuditCall): Promise<StoredExchange | null> {
    const append = audit(params);
    const [row] = await this.db.query<(StoredExchange & { appended: number })[]>(
      prepared(`WITH ${writes},
       audited AS (SELECT a.seq FROM ${append} a WHERE EXISTS (SELECT 1 FROM written))
       SELECT ${this.columns}, (SELECT count(*)::int FROM audited) AS appended FROM written x`),
      params.values,
    );
    if (!row) return null;
    const { appended, ...exchange } = row;
    if (appended < 1) throw new Error('an exchange step was written without its audit entries');
    return exchange;
  }

  /** A request (approved at once when `approvedBy` is given) and its audit entries, in one statement. */
  async insertAudited(x: NewExchange, audit: AuditCall): Promise<StoredExchange> {
    const p = new SqlParams();
    const approved = x.approvedBy;
    const written = await this.writeAudited(
      p,
      `written AS (
         INSERT INTO exchange (district_id, id, file_id, requester_department_id, requested_by, fields, purpose,
                               status, decided_at, decided_by, decision_note, permission_id, file_version, schema_version)
         VALUES (${p.bind(x.districtId)}, ${p.bind(x.id)}, ${p.bind(x.fileId)}, ${p.bind(x.requesterDepartmentId)}, ${p.bind(x.requestedBy)},
                 ${p.bind(x.fields)}::text[], ${p.bind(x.purpose)}, ${p.bind(approved ? 'APPROVED' : 'REQUESTED')},
                 ${approved ? 'now()' : 'NULL'}, ${p.bind(approved?.by ?? null)}, ${p.bind(approved?.note ?? null)},
                 ${p.bind(approved?.permissionId ?? null)}::uuid, ${p.bind(approved?.fileVersion ?? null)}::int,
                 ${p.bind(approved?.schemaVersion ?? null)}::int)
         RETURNING *)`,
      audit,
    );
    return written!;
  }

  /**
   * Approves a requested exchange with the grant it makes, and their audit
   * entries, in one statement: the exchange row is locked first, with its
   * file's row (FOR SHARE, through the directory's fileVersionsLockedSql:
   * a schema change of the file waits for this statement's transaction, or
   * this statement for it and then reads the schema it left), then the
   * grant's gate (no identical grant in force) is asked, then the exchange
   * and the grant are written, both decided on the file's versions as
   * locked, with the entries. Null, writing nothing, when the exchange is no
   * longer requested or the gate is closed.
   */
  async approveAudited(
    key: ExchangeKey,
    decision: { by: string; note: string | null; permissionId: string },
    grant: {
      gate: (params: SqlParams) => string;
      insert: (params: SqlParams, from: string, decidedOn: { fileVersion: string; schemaVersion: string }) => string;
    },
    audit: AuditCall,
  ): Promise<StoredExchange | null> {
    const p = new SqlParams();
    return this.writeAudited(
      p,
      `locked AS MATERIALIZED (
         SELECT x.district_id, x.id, fv.version, fv.schema_version FROM exchange x
          CROSS JOIN LATERAL (${this.fileVersionsLocked}) fv
          WHERE x.district_id = ${p.bind(key.districtId)} AND x.id = ${p.bind(key.id)} AND x.status = 'REQUESTED' FOR UPDATE OF x
       ),
       gate AS MATERIALIZED (SELECT l.* FROM locked l WHERE ${grant.gate(p)}),
       decided AS (
         UPDATE exchange x SET status = 'APPROVED', decided_at = now(), decided_by = ${p.bind(decision.by)},
                decision_note = ${p.bind(decision.note)}, permission_id = ${p.bind(decision.permissionId)}::uuid,
                file_version = g.version, schema_version = g.schema_version
           FROM gate g WHERE x.district_id = ${p.bind(key.districtId)} AND x.district_id = g.district_id AND x.id = g.id
         RETURNING x.*
       ),
       granted AS (${grant.insert(p, 'decided', { fileVersion: 'decided.file_version', schemaVersion: 'decided.schema_version' })}),
       written AS (SELECT d.* FROM decided d WHERE EXISTS (SELECT 1 FROM granted))`,
      audit,
    );
  }

  /**
   * Marks an approved exchange delivered (with the approved fields it
   * withheld, if any), with its audit entry, in one statement, provided the
   * grants it was decided on still hold (`grantsHeld`, SQL from the access
   * library, which locks them); null when it was no longer approved or they
   * no longer hold.
   */
  async deliveredAudited(
    key: ExchangeKey,
    delivery: { version: number; contentHash: string; withheld: string[] | null },
    grantsHeld: (params: SqlParams) => string,
    audit: AuditCall,
  ): Promise<StoredExchange | null> {
    const p = new SqlParams();
    return this.writeAudited(
      p,
      `written AS (
         UPDATE exchange x SET status = 'DELIVERED', delivered_at = now(), delivered_version = ${p.bind(delivery.version)},
                content_hash = ${p.bind(delivery.contentHash)}, withheld_fields = ${p.bind(delivery.withheld)}::text[]
          WHERE x.district_id = ${p.bind(key.districtId)} AND x.id = ${p.bind(key.id)} AND x.status = 'APPROVED'
            AND ${grantsHeld(p)}
         RETURNING x.*)`,
      audit,
    );
  }

  /**
   * Everything a delivery decides on, in one statement, by the id the API was
   * given (in `scope`): the exchange, its file (facts, version, schema) and,
   * when the exchange is approved and `requesterId` requested it, the rows of
   * the file's current version in order.
   */
  async forDelivery(scope: DistrictScope, id: string, requesterId: string): Promise<DeliveryFacts | null> {
    const p = new SqlParams(id, requesterId);
    const [row] = await this.db.query<(StoredExchange & { file: FileFactsJson | null; records: Record<string, unknown>[] | null })[]>(
      prepared(`SELECT ${this.columns}, ff.file,
              CASE WHEN x.status = 'APPROVED' AND x.requester_department_id = $2 THEN
                coalesce((SELECT json_agg(r.row ORDER BY r.row_no) FROM data_record r
                           WHERE r.district_id = x.district_id AND r.file_id = x.file_id AND r.version = (ff.file->>'version')::int),
                         '[]'::json)
              END AS records
         FROM exchange x CROSS JOIN LATERAL (SELECT ${this.fileFacts} AS file OFFSET 0) ff
        WHERE ${districtCondition(scope, 'x.district_id', (v) => p.bind(v))} AND x.id = $1`),
      p.values,
    );
    if (!row) return null;
    const { file, records, ...exchange } = row;
    return { exchange, file, records };
  }

  /**
   * By id in `scope`: ANY_DISTRICT for a lookup that starts from the id the
   * API was given (it carries no district); everything after it goes by the
   * full key, a lock included.
   */
  async byIds(scope: DistrictScope, ids: readonly string[], db: EntityManager = this.db.manager): Promise<StoredExchange[]> {
    // One id (every step's lookup) by equality: with ANY(array) the generic plan is priced higher and never chosen.
    const one = ids.length === 1;
    const p = new SqlParams(one ? ids[0] : ids);
    return db.query<StoredExchange[]>(
      prepared(
        `SELECT ${this.columns} FROM exchange x
          WHERE ${districtCondition(scope, 'x.district_id', (v) => p.bind(v))} AND x.id = ${one ? '$1::uuid' : 'ANY($1::uuid[])'}`,
      ),
      p.values,
    );
  }

  /** By the full key; `lock` takes the row FOR UPDATE, on its district alone. */
  async byKey(key: ExchangeKey, db: EntityManager = this.db.manager, lock = false): Promise<StoredExchange | null> {
    const [row] = await db.query<StoredExchange[]>(
      `SELECT ${this.columns} FROM exchange x WHERE x.district_id = $1 AND x.id = $2 ${lock ? 'FOR UPDATE OF x' : ''}`,
      [key.districtId, key.id],
    );
    return row ?? null;
  }

  async decide(
    tx: EntityManager,
    key: ExchangeKey,
    status: 'APPROVED' | 'REJECTED',
    by: string,
    note: string | null,
    permissionId: string | null,
    decidedOn: { version: number; schemaVersion: number } | null = null,
  ): Promise<void> {
    await tx.query(
      `UPDATE exchange SET status = $3, decided_at = now(), decided_by = $4, decision_note = $5, permission_id = $6,
                           file_version = $7, schema_version = $8
        WHERE district_id = $1 AND id = $2 AND status = 'REQUESTED'`,
      [key.districtId, key.id, status, by, note, permissionId, decidedOn?.version ?? null, decidedOn?.schemaVersion ?? null],
    );
  }

  /** Outgoing requests of `requesterId`, and incoming ones for files of `ownerId` when given, in `scope`. */
  async list(
    scope: DistrictScope,
    requesterId: string,
    ownerId: string | null,
    status: ExchangeStatus | null,
    first: number,
    after: string | null,
  ): Promise<Page<StoredExchange>> {
    const p = new SqlParams(requesterId, ownerId, status, first + 1);
    let keyset = '';
    if (after) {
      const [key, id] = decodeTimeCursor(after);
      keyset = `AND (x.requested_at, x.id) < (${p.bind(key)}::timestamptz, ${p.bind(id)}::uuid)`;
    }
    const rows = await this.db.query<(StoredExchange & { sortKey: string })[]>(
      `SELECT ${this.columns} FROM exchange x
        WHERE ${districtCondition(scope, 'x.district_id', (v) => p.bind(v))}
          AND (x.requester_department_id = $1 OR ${this.onOwnedFiles}) AND ($3::text IS NULL OR x.status = $3) ${keyset}
        ORDER BY x.requested_at DESC, x.id DESC LIMIT $4`,
      p.values,
    );
    return toPage(rows, first, (r) => [r.sortKey, r.id]);
  }

  async countList(scope: DistrictScope, requesterId: string, ownerId: string | null, status: ExchangeStatus | null): Promise<number> {
    const p = new SqlParams(requesterId, ownerId, status);
    const [row] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM exchange x
        WHERE ${districtCondition(scope, 'x.district_id', (v) => p.bind(v))}
          AND (x.requester_department_id = $1 OR ${this.onOwnedFiles}) AND ($3::text IS NULL OR x.status = $3)`,
      p.values,
    );
    return row.n;
  }
}

export interface PublishedVersion {
  version: number;
  contentHash: string;
  rowCount: number;
}

/** Published record versions of files. */
@Injectable()
export class RecordsRepository {
  async publish(
    tx: EntityManager,
    file: { districtId: string; id: string },
    version: number,
    rows: Record<string, unknown>[],
    contentHash: string,
    by: string,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO data_version (district_id, file_id, version, content_hash, row_count, published_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [file.districtId, file.id, version, contentHash, rows.length, by],
    );
    if (rows.length) {
      await tx.query(
        `INSERT INTO data_record (district_id, file_id, version, row_no, row)
         SELECT $1, $2, $3, r.ordinality, r.value FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS r`,
        [file.districtId, file.id, version, JSON.stringify(rows)],
      );
    }
  }
}
