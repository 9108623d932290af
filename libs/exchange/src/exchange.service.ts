import { Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { DataSource, type EntityManager } from 'typeorm';
import { grantorIsRecipient, GrantService, type AccessPolicy } from '@app/access';
import { AuditLog, sha256Hex, type AuditEvent } from '@app/audit';
import { actorName } from '@app/auth';
import {
  ANY_DISTRICT,
  badInput,
  requirePurpose,
  checkPageSize,
  conflict,
  convertPage,
  DomainError,
  forbidden,
  isUuid,
  newId,
  notFound,
  type DistrictScope,
} from '@app/common';
import { DirectoryService, type DataFileRow, type DiscoverableFile } from '@app/directory';
import {
  ExchangeRepository,
  RecordsRepository,
  type ExchangeKey,
  type ExchangeRow,
  type ExchangeStatus,
  type StoredExchange,
} from './exchange.repository.js';
import { canonicalRows, project, validateRecords } from './records.js';

export const MAX_ROWS_PER_PUBLICATION = 10_000;
export const MAX_PUBLICATION_BYTES = 5 * 1024 * 1024;
/** How long the EXCHANGE grant made by an approval lasts. */
export const APPROVAL_GRANT_DAYS = 90;

const approvalExpiry = () => new Date(Date.now() + APPROVAL_GRANT_DAYS * 86_400_000);

export interface RequestInput {
  fileId: string;
  fields: string[];
  purpose: string;
}

export interface Delivery {
  exchange: ExchangeRow;
  records: Record<string, unknown>[];
  contentHash: string;
  /** Approved fields left out: the grant holds them for a steward's review after a schema change. */
  withheldFields: string[];
}

/** SHA-256 over the RFC 8785 encoding: anyone holding the same rows gets the same hash. */
export const contentHash = (value: unknown): string => sha256Hex(canonicalize(value) ?? 'null');

@Injectable()
export class ExchangeService {
  constructor(
    private readonly db: DataSource,
    private readonly permissions: GrantService,
    private readonly directory: DirectoryService,
    private readonly exchanges: ExchangeRepository,
    private readonly records: RecordsRepository,
    private readonly audit: AuditLog,
  ) {}

  /** Stored exchanges with the codes they are shown by, from the directory's reference data (no query). */
  private async named(rows: StoredExchange[]): Promise<ExchangeRow[]> {
    const [districts, departments] = await Promise.all([
      this.directory.districtsByIds(rows.map((r) => r.districtId)),
      this.directory.departmentsByIds(rows.flatMap((r) => [r.ownerDepartmentId, r.requesterDepartmentId])),
    ]);
    return rows.map((r, i) => ({
      ...r,
      districtCode: districts[i]!.code,
      ownerCode: departments[2 * i]!.code,
      requesterCode: departments[2 * i + 1]!.code,
    }));
  }

  /**
   * One exchange by the id the API was given, with its codes: found by id (it
   * fans out: the id carries no district), then, when a lock is asked for,
   * read again in `tx` locked by its full key, on its district alone.
   */
  private async exchange(id: string, tx?: EntityManager, lock = false): Promise<ExchangeRow | null> {
    const [found] = await this.exchanges.byIds(ANY_DISTRICT, [id], tx);
    const row = found && lock ? await this.exchanges.byKey(found, tx, true) : found;
    return row ? (await this.named([row]))[0] : null;
  }

  /** One exchange by its full key, read in `tx`, with its codes. */
  private async exchangeByKey(key: ExchangeKey, tx?: EntityManager): Promise<ExchangeRow> {
    return (await this.named([(await this.exchanges.byKey(key, tx))!]))[0];
  }

  /** A file the caller may discover with its schema, or NOT_FOUND exactly as for a missing one. */
  private async visibleFile(caller: AccessPolicy, fileId: string): Promise<{ file: DiscoverableFile; schema: DiscoverableFile['fields'] }> {
    // Fans out: the file's id comes from the client, without its district.
    const file = await this.directory.discoverableFile(caller, ANY_DISTRICT, fileId);
    return { file, schema: file.fields };
  }

  /** A steward publishes its department's file's records as a new version; audited. */
  async publishRecords(caller: AccessPolicy, fileId: string, records: unknown[]): Promise<DataFileRow> {
    if (records.length > MAX_ROWS_PER_PUBLICATION) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `at most ${MAX_ROWS_PER_PUBLICATION} rows per publication; got ${records.length}`);
    }
    const bytes = Buffer.byteLength(JSON.stringify(records));
    if (bytes > MAX_PUBLICATION_BYTES)
      throw new DomainError('PAYLOAD_TOO_LARGE', `at most ${MAX_PUBLICATION_BYTES} bytes of records per publication; got ${bytes}`);
    const { file, schema } = await this.visibleFile(caller, fileId);
    if (!caller.may('register', file)) throw forbidden("only a steward of the owning department publishes a file's records");
    const rows = validateRecords(records, schema);
    const hash = contentHash(rows);
    return this.db.transaction(async (tx) => {
      const version = (await this.directory.lockFileVersion(tx, file)) + 1;
      await this.records.publish(tx, file, version, rows, hash, actorName(caller.actor));
      await this.directory.recordPublishedVersion(tx, file, version);
      const published = (await this.directory.readFile(tx, file))!;
      await this.audit.append(tx, [
        {
          // The file's own district: its rows and their entry go to the same ledger.
          ledger: file.districtCode,
          actor: actorName(caller.actor),
          action: 'records.published',
          subjectType: 'DataFile',
          subjectId: file.id,
          parties: [caller.actor.department.code],
          payload: { version, rowCount: rows.length, contentHash: hash },
        },
      ]);
      return published;
    });
  }

  /**
   * A member or steward asks for fields of a file it may READ. The fields are
   * checked against the file's catalogue, which READ shows whole: a sensitive
   * field no grant covers may still be asked for, and the owner decides.
   */
  async request(caller: AccessPolicy, input: RequestInput): Promise<ExchangeRow> {
    if (!caller.mayActAsDataUser('request')) {
      throw forbidden(
        'separation of duties: administrators and auditors do not request exchanges; a member or steward of the department requests',
      );
    }
    const { file, schema } = await this.visibleFile(caller, input.fileId);
    if (caller.isOwner(file)) throw badInput('your department owns this file; it needs no exchange');
    // The catalogue is what READ shows; below it, naming fields would reveal them by trial.
    if (!caller.can('READ', file))
      throw forbidden('your department may discover this file but not read its field catalogue; it needs READ to request fields');
    const fields = [...new Set(input.fields)];
    if (fields.length === 0) throw badInput('name at least one field to request');
    const catalogue = caller.fieldCatalogue(file, schema);
    const known = new Set(catalogue.map((f) => f.name));
    const unknown = fields.filter((f) => !known.has(f));
    if (unknown.length) throw badInput(`fields not in the file's catalogue: ${unknown.join(', ')}`);
    const purpose = requirePurpose(input.purpose);
    // An active EXCHANGE grant that already covers every field approves the request at once,
    // unless the requester (or its department) made that grant: then a steward decides.
    const obtainable = new Set(catalogue.filter((f) => f.obtainable).map((f) => f.name));
    const coveringGrant = fields.every((f) => obtainable.has(f))
      ? caller
          .explain(file)
          .find((e) => e.action === 'EXCHANGE')
          ?.grants.find((g) => (g.fields === null || fields.every((f) => g.fields!.includes(f))) && !grantorIsRecipient(g, caller.actor))
      : undefined;
    const who = actorName(caller.actor);
    // Checked above on what one read returned; written with its audit entries in one statement.
    const exchange = {
      id: newId(),
      districtCode: file.districtCode,
      ownerCode: file.ownerCode,
      requesterCode: caller.actor.department.code,
    };
    const events = [this.event(exchange, who, 'exchange.requested', { fileId: file.id, fields, purpose })];
    if (coveringGrant) {
      events.push(
        this.event(exchange, `grant:${coveringGrant.id}`, 'exchange.approved', { permissionId: coveringGrant.id, automatic: true }),
      );
    }
    const stored = await this.exchanges.insertAudited(
      {
        districtId: file.districtId,
        id: exchange.id,
        fileId: file.id,
        requesterDepartmentId: caller.actor.department.id,
        requestedBy: who,
        fields,
        purpose,
        approvedBy: coveringGrant
          ? {
              by: `grant:${coveringGrant.id}`,
              note: 'approved by an active EXCHANGE grant',
              permissionId: coveringGrant.id,
              // Decided on the file as the request read it: its published version and its schema version.
              fileVersion: file.version,
              schemaVersion: file.schemaVersion,
            }
          : null,
      },
      (params) => this.audit.inStatement(events, params),
    );
    return (await this.named([stored]))[0];
  }

  private event(
    x: Pick<ExchangeRow, 'id' | 'districtCode' | 'ownerCode' | 'requesterCode'>,
    actor: string,
    action: string,
    payload: Record<string, unknown>,
  ): AuditEvent {
    return {
      ledger: x.districtCode,
      actor,
      action,
      subjectType: 'Exchange',
      subjectId: x.id,
      parties: [x.ownerCode, x.requesterCode],
      payload,
    };
  }

  /** The exchange if the caller is a party to it; NOT_FOUND otherwise, as for a missing one. */
  private async partyTo(caller: AccessPolicy, id: string, tx?: EntityManager, lock = false): Promise<ExchangeRow> {
    const x = isUuid(id) ? await this.exchange(id, tx, lock) : null;
    const dept = caller.actor.department.id;
    if (!x || (x.requesterDepartmentId !== dept && x.ownerDepartmentId !== dept)) throw notFound(`no exchange ${id}`);
    return x;
  }

  /**
   * Locks the exchange, checks that the caller decides for the owner and that
   * it is still undecided: two stewards deciding at once make one decision.
   */
  private async forDecision(caller: AccessPolicy, tx: EntityManager, id: string): Promise<ExchangeRow> {
    const x = await this.partyTo(caller, id, tx, true);
    this.checkDecision(caller, x);
    return x;
  }

  /** The checks of a decision on `x` as read: the caller decides for the owner, and it is still undecided. */
  private checkDecision(caller: AccessPolicy, x: ExchangeRow): void {
    if (x.requesterDepartmentId === caller.actor.department.id) throw badInput('a department does not decide its own request');
    if (!caller.may('decide', { ownerDepartmentId: x.ownerDepartmentId, districtId: x.districtId })) {
      throw forbidden('only a steward of the owning department decides this request');
    }
    if (x.status !== 'REQUESTED')
      throw conflict(`exchange ${x.id} was already ${x.status.toLowerCase()} by ${x.decidedBy} at ${x.decidedAt?.toISOString()}`);
  }

  /**
   * Approves, and grants EXCHANGE on exactly the requested fields for the
   * stated purpose: one read, then one statement that locks the exchange,
   * checks that no identical grant is in force, and writes the decision, the
   * grant and both audit entries. When that statement writes nothing (decided
   * meanwhile, or an identical grant exists to reuse or extend), the
   * transaction below decides again and says which.
   */
  async approve(caller: AccessPolicy, id: string, note: string | null): Promise<ExchangeRow> {
    const x = await this.partyTo(caller, id);
    this.checkDecision(caller, x);
    const why = note?.trim() || null;
    const who = actorName(caller.actor);
    const grant = this.permissions.approvalGrant(
      caller,
      {
        districtId: x.districtId,
        id: x.fileId,
        ownerDepartmentId: x.ownerDepartmentId,
        districtCode: x.districtCode,
        ownerCode: x.ownerCode,
      },
      { id: x.requesterDepartmentId, code: x.requesterCode },
      { fields: x.fields, purpose: x.purpose, expiresAt: approvalExpiry() },
    );
    const events = [grant.event, this.event(x, who, 'exchange.approved', { permissionId: grant.id, note: why })];
    const approved = await this.exchanges.approveAudited(
      x,
      { by: who, note: why, permissionId: grant.id },
      {
        gate: (params) => grant.noSameInForce(params),
        insert: (params, from, decidedOn) => grant.insert(params, from, decidedOn),
      },
      (params) => this.audit.inStatement(events, params),
    );
    return approved ? (await this.named([approved]))[0] : this.approveInTransaction(caller, id, why);
  }

  /** The approval as one transaction: the exchange locked, then grant() (which reuses or extends an identical grant). */
  private approveInTransaction(caller: AccessPolicy, id: string, note: string | null): Promise<ExchangeRow> {
    return this.db.transaction(async (tx) => {
      const x = await this.forDecision(caller, tx, id);
      // Audit entries go last, after every read: the first append takes the ledger's lock until commit.
      const pending: AuditEvent[] = [];
      const { permission } = await this.permissions.grant(
        caller,
        {
          fileId: x.fileId,
          granteeDepartmentCode: x.requesterCode,
          actions: ['EXCHANGE'],
          fields: x.fields,
          purpose: x.purpose,
          expiresAt: approvalExpiry(),
        },
        tx,
        'reuse',
        pending,
      );
      const who = actorName(caller.actor);
      // Decided on the file as it stands now: its published version and its schema version.
      const file = (await this.directory.readFile(tx, { districtId: x.districtId, id: x.fileId }))!;
      await this.exchanges.decide(tx, x, 'APPROVED', who, note, permission.id, file);
      const approved = await this.exchangeByKey(x, tx);
      pending.push(this.event(x, who, 'exchange.approved', { permissionId: permission.id, note }));
      await this.audit.append(tx, pending);
      return approved;
    });
  }

  async reject(caller: AccessPolicy, id: string, reason: string): Promise<ExchangeRow> {
    const why = reason?.trim();
    if (!why) throw badInput('a rejection needs a reason');
    return this.db.transaction(async (tx) => {
      const x = await this.forDecision(caller, tx, id);
      const who = actorName(caller.actor);
      await this.exchanges.decide(tx, x, 'REJECTED', who, why, null);
      const rejected = await this.exchangeByKey(x, tx);
      await this.audit.append(tx, [this.event(x, who, 'exchange.rejected', { reason: why })]);
      return rejected;
    });
  }

  /**
   * The requester receives the current version's records projected onto the
   * approved fields, if a grant still allows exactly that now; the hash of what
   * was delivered is recorded and audited.
   */
  async deliver(caller: AccessPolicy, id: string): Promise<Delivery> {
    // One read: the exchange, its file and schema, and the current version's rows (it fans out: the id carries no district).
    const facts = isUuid(id) ? await this.exchanges.forDelivery(ANY_DISTRICT, id, caller.actor.department.id) : null;
    const x = facts && (await this.named([facts.exchange]))[0];
    const dept = caller.actor.department.id;
    if (!x || (x.requesterDepartmentId !== dept && x.ownerDepartmentId !== dept)) throw notFound(`no exchange ${id}`);
    if (x.requesterDepartmentId !== dept) throw forbidden('only the requesting department receives a delivery');
    if (!caller.mayActAsDataUser('receive')) {
      throw forbidden(
        'separation of duties: administrators and auditors do not receive records; a member or steward of the department receives',
      );
    }
    const delivered = (at: Date | null) => conflict(`exchange ${id} was delivered at ${at?.toISOString()}; request again for a new copy`);
    if (x.status === 'DELIVERED') throw delivered(x.deliveredAt);
    if (x.status !== 'APPROVED') throw badInput(`exchange ${id} is ${x.status.toLowerCase()}, not approved`);
    const file = facts.file!;
    const obtainable = new Set(caller.obtainableFields(file, file.fields).map((f) => f.name));
    // Fields a grant holds for review after a schema change are withheld, not refused: the others still flow.
    // The caller's policy carries its grants' open reviews, so this costs no statement.
    const awaiting = new Set(caller.fieldsAwaitingReview(file, file.fields).map((f) => f.name));
    const missing = x.fields.filter((f) => !obtainable.has(f) && !awaiting.has(f));
    if (missing.length) throw forbidden(`no active grant allows exchanging ${missing.join(', ')} now (revoked or expired); request again`);
    const withheld = x.fields.filter((f) => awaiting.has(f));
    const fields = x.fields.filter((f) => obtainable.has(f));
    if (fields.length === 0) {
      throw forbidden(
        `every approved field (${withheld.join(', ')}) awaits a steward's review after a change of the file's schema; deliver again once the grant is re-approved`,
      );
    }
    if (file.version === 0 || !facts.records) throw badInput('the owner has not published any records of this file yet');
    const records = project(facts.records, fields);
    // The same hash as contentHash(records), without canonicalize's walk over every row when the values are scalars.
    const hash = sha256Hex(canonicalRows(records, fields) ?? canonicalize(records) ?? 'null');
    const event = this.event(x, actorName(caller.actor), 'exchange.delivered', {
      version: file.version,
      schemaVersion: file.schemaVersion,
      rowCount: records.length,
      fields,
      ...(withheld.length ? { withheld } : {}),
      contentHash: hash,
    });
    // Written only if still approved (of two deliveries at once, one is recorded) and while the grants it was
    // decided on hold: a revocation committed since the caller's policy was read refuses it, one in flight waits.
    const stored = await this.exchanges.deliveredAudited(
      x,
      { version: file.version, contentHash: hash, withheld: withheld.length ? withheld : null },
      (params) => this.permissions.stillGiving(caller, file, fields, params),
      (params) => this.audit.inStatement([event], params),
    );
    if (!stored) {
      const current = await this.exchangeByKey(x);
      if (current.status === 'DELIVERED') throw delivered(current.deliveredAt);
      throw forbidden(`no active grant allows exchanging ${fields.join(', ')} now (revoked or expired); request again`);
    }
    return { exchange: (await this.named([stored]))[0], records, contentHash: hash, withheldFields: withheld };
  }

  /** Outgoing requests of the caller's department; incoming ones too for the stewards who decide them. */
  async list(caller: AccessPolicy, status: ExchangeStatus | null, first: number, after: string | null) {
    checkPageSize(first);
    const dept = caller.actor.department;
    const incoming = caller.may('decide', { ownerDepartmentId: dept.id, districtId: dept.districtId }) ? dept.id : null;
    // Fans out: a department requests files of any district.
    const [page, totalCount] = await Promise.all([
      this.exchanges.list(ANY_DISTRICT, dept.id, incoming, status, first, after),
      this.exchanges.countList(ANY_DISTRICT, dept.id, incoming, status),
    ]);
    return { ...(await convertPage(page, (rows) => this.named(rows))), totalCount };
  }

  byId(caller: AccessPolicy, id: string): Promise<ExchangeRow> {
    return this.partyTo(caller, id);
  }

  /**
   * Exchanges by id with no access check, for deciding who is told of them
   * (the change feed addresses each event by its own rules); missing ids are
   * left out.
   */
  async parties(scope: DistrictScope, ids: readonly string[]): Promise<ExchangeRow[]> {
    return this.named(await this.exchanges.byIds(scope, ids.filter(isUuid)));
  }
}
