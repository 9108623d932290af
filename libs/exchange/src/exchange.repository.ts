import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeTimeCursor, toPage, type Page } from '@app/common';
import { DirectoryService } from '@app/directory';

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

@Injectable()
export class ExchangeRepository {
  private readonly columns: string;
  /** The exchanges on files of the department $2: the directory writes the sub-query over its table. */
  private readonly onOwnedFiles: string;

  constructor(
    private readonly db: DataSource,
    directory: DirectoryService,
  ) {
    this.columns = columns(directory.fileOwnerSql('x'));
    this.onOwnedFiles = `(x.district_id, x.file_id) IN ${directory.filesOwnedBySql('$2')}`;
  }

  /**
   * By id alone, for a lookup that starts from the id the API was given (it
   * carries no district); everything after it goes by the full key.
   */
  async byId(id: string, db: EntityManager = this.db.manager, lock = false): Promise<StoredExchange | null> {
    const [row] = await db.query<StoredExchange[]>(
      `SELECT ${this.columns} FROM exchange x WHERE x.id = $1 ${lock ? 'FOR UPDATE OF x' : ''}`,
      [id],
    );
    return row ?? null;
  }

  async byKey(key: ExchangeKey, db: EntityManager = this.db.manager): Promise<StoredExchange | null> {
    const [row] = await db.query<StoredExchange[]>(`SELECT ${this.columns} FROM exchange x WHERE x.district_id = $1 AND x.id = $2`, [
      key.districtId,
      key.id,
    ]);
    return row ?? null;
  }

  async insert(
    tx: EntityManager,
    x: { districtId: string; fileId: string; requesterDepartmentId: string; requestedBy: string; fields: string[]; purpose: string },
  ): Promise<string> {
    const [row] = await tx.query<{ id: string }[]>(
      `INSERT INTO exchange (district_id, file_id, requester_department_id, requested_by, fields, purpose, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'REQUESTED') RETURNING id`,
      [x.districtId, x.fileId, x.requesterDepartmentId, x.requestedBy, x.fields, x.purpose],
    );
    return row.id;
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

  async delivered(
    tx: EntityManager,
    key: ExchangeKey,
    version: number,
    contentHash: string,
    withheld: string[] | null = null,
  ): Promise<void> {
    await tx.query(
      `UPDATE exchange SET status = 'DELIVERED', delivered_at = now(), delivered_version = $3, content_hash = $4, withheld_fields = $5
        WHERE district_id = $1 AND id = $2`,
      [key.districtId, key.id, version, contentHash, withheld],
    );
  }

  /** Outgoing requests of `requesterId`, and incoming ones for files of `ownerId` when given. */
  async list(
    requesterId: string,
    ownerId: string | null,
    status: ExchangeStatus | null,
    first: number,
    after: string | null,
  ): Promise<Page<StoredExchange>> {
    const params: unknown[] = [requesterId, ownerId, status, first + 1];
    let keyset = '';
    if (after) {
      const [key, id] = decodeTimeCursor(after);
      params.push(key, id);
      keyset = `AND (x.requested_at, x.id) < ($5::timestamptz, $6::uuid)`;
    }
    const rows = await this.db.query<(StoredExchange & { sortKey: string })[]>(
      `SELECT ${this.columns} FROM exchange x
        WHERE (x.requester_department_id = $1 OR ${this.onOwnedFiles}) AND ($3::text IS NULL OR x.status = $3) ${keyset}
        ORDER BY x.requested_at DESC, x.id DESC LIMIT $4`,
      params,
    );
    return toPage(rows, first, (r) => [r.sortKey, r.id]);
  }

  async countList(requesterId: string, ownerId: string | null, status: ExchangeStatus | null): Promise<number> {
    const [row] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM exchange x
        WHERE (x.requester_department_id = $1 OR ${this.onOwnedFiles}) AND ($3::text IS NULL OR x.status = $3)`,
      [requesterId, ownerId, status],
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

  /** The rows of the file's current version (as read in this transaction), in order; null when nothing was published. */
  async current(
    tx: EntityManager,
    file: { districtId: string; id: string; version: number },
  ): Promise<{ version: number; rows: Record<string, unknown>[] } | null> {
    if (file.version === 0) return null;
    const rows = await tx.query<{ row: Record<string, unknown> }[]>(
      `SELECT row FROM data_record WHERE district_id = $1 AND file_id = $2 AND version = $3 ORDER BY row_no`,
      [file.districtId, file.id, file.version],
    );
    return { version: file.version, rows: rows.map((r) => r.row) };
  }
}
