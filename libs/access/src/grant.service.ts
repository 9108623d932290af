import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog, type AuditEvent } from '@app/audit';
import { actorName, type Actor } from '@app/auth';
import {
  badInput,
  checkPageSize,
  convertPage,
  requirePurpose,
  conflict,
  forbidden,
  isUuid,
  newId,
  notFound,
  ANY_DISTRICT,
  districtsOf,
  type DistrictScope,
  type Page,
  type SqlParams,
} from '@app/common';
import { grantEnded } from './grant-in-force.js';
import { lockFileSchema } from './schema-lock.js';
import { AccessPolicy } from './access-policy.js';
import type { GrantSubject } from './ability.factory.js';
import { ACTIONS, CLASSIFICATIONS, type Action, type Classification, type FileFacts } from './actions.js';
import { grantsHeldAt, grantsHeldByEachAt } from './grants-held.repository.js';
import { audienceCondition, memberPolicy } from './audience.js';
import { FileCatalog, type CatalogFile } from './file-catalog.js';
import { grantInStatementSql, GrantRepository, type NewGrantRow, type StoredGrant } from './grant.repository.js';
import { ReviewsRepository, type GrantOnFile } from './reviews.repository.js';

/** A grant with the codes of its district, grantee and file owner, as callers show it. */
export type GrantRow = StoredGrant & { districtCode: string; granteeCode: string; ownerCode: string | null };

export interface GrantInput {
  fileId: string;
  granteeDepartmentCode: string;
  actions: Action[];
  fields?: string[] | null;
  purpose: string;
  expiresAt?: Date | null;
}

export interface ScopeGrantInput {
  districtCode: string;
  category: string;
  maxClassification: Classification;
  granteeDepartmentCode: string;
  actions: Action[];
  purpose: string;
  expiresAt?: Date | null;
}

export interface PermissionFilter {
  fileId?: string | null;
  granteeDepartmentCode?: string | null;
  includeInactive?: boolean | null;
  asOf?: Date | null;
}

/**
 * What an explanation's list of grants is priced at: the grants one department
 * holds in force on one file (one per action, field set and purpose, identical
 * grants being merged), far fewer in practice.
 */
export const MAX_GRANTS_EXPLAINED = 1000;

/** Separation of duties: whoever grants is never who receives. */
const SELF_GRANT =
  "separation of duties: an administrator's power to grant does not extend to its own department; a steward of the owning department or an administrator of another department must grant it";

/** A grant that an approval writes in its own statement: see GrantService.approvalGrant. */
export interface ApprovalGrant {
  /** The new grant's id. */
  id: string;
  /** Its audit entry, to append in the same statement. */
  event: AuditEvent;
  /** SQL, true when no identical grant is in force (after taking the lock grants of the shape take). */
  noSameInForce(params: SqlParams): string;
  /**
   * The INSERT of the grant, once per row of `from`, as a data-modifying CTE's body; `decidedOn` are SQL
   * expressions over `from` for the file's version and schema version, read from the file row the statement locked.
   */
  insert(params: SqlParams, from: string, decidedOn: { fileVersion: string; schemaVersion: string }): string;
}

/** What a grant records and what the result is: a new grant, or an existing one extended. */
export interface GrantOutcome {
  permission: GrantRow;
  extended: boolean;
}

@Injectable()
export class GrantService {
  constructor(
    private readonly db: DataSource,
    private readonly catalog: FileCatalog,
    private readonly repository: GrantRepository,
    private readonly reviews: ReviewsRepository,
    private readonly audit: AuditLog,
  ) {}

  /** A file the caller may discover, or NOT_FOUND exactly as for a missing one (the directory decides both). */
  private visibleFile(caller: AccessPolicy, scope: DistrictScope, fileId: string, tx?: EntityManager): Promise<CatalogFile> {
    return this.catalog.discoverableFile(caller, scope, fileId, tx);
  }

  /** Stored grants with the codes they are shown by, from the directory's reference data (no query). */
  private async named(rows: StoredGrant[]): Promise<GrantRow[]> {
    const [districts, departments] = await Promise.all([
      this.catalog.districtsByIds(rows.map((r) => r.districtId)),
      this.catalog.departmentsByIds(rows.flatMap((r) => [r.granteeDepartmentId, r.ownerDepartmentId ?? r.granteeDepartmentId])),
    ]);
    return rows.map((r, i) => ({
      ...r,
      districtCode: districts[i]!.code,
      granteeCode: departments[2 * i]!.code,
      ownerCode: r.ownerDepartmentId ? departments[2 * i + 1]!.code : null,
    }));
  }

  private async namedOne(row: StoredGrant): Promise<GrantRow> {
    return (await this.named([row]))[0];
  }

  private async grantee(code: string) {
    const department = await this.catalog.departmentByCode(code);
    if (!department) throw badInput(`no department "${code}"`);
    return department;
  }

  /** A steward grants on its department's files, a district admin in its district, a platform admin anywhere. */
  /**
   * @param tx the caller's transaction, when the grant is part of a larger change (an exchange approval)
   * @param onSame what an identical active grant with a later expiry means: a CONFLICT for a direct
   *   grant, the grant to cite for an approval
   * @param pending where the caller collects audit events to append last in its transaction
   */
  async grant(
    caller: AccessPolicy,
    input: GrantInput,
    tx?: EntityManager,
    onSame: 'conflict' | 'reuse' = 'conflict',
    pending?: AuditEvent[],
  ): Promise<GrantOutcome> {
    // Fans out: the file's id comes from the client, without its district.
    const file = await this.visibleFile(caller, ANY_DISTRICT, input.fileId, tx);
    if (!caller.may('grant', file))
      throw forbidden('only a steward of the owning department or an administrator of its district grants on this file');
    const grantee = await this.grantee(input.granteeDepartmentCode);
    checkGrantee(caller, file, grantee.id);
    let fields: string[] | null = null;
    if (input.fields) {
      const known = new Set(file.fields.map((f) => f.name));
      const unknown = input.fields.filter((f) => !known.has(f));
      if (unknown.length) throw badInput(`fields not in the file's schema: ${unknown.join(', ')}`);
      if (input.fields.length === 0) throw badInput('fields, when given, must name at least one field; omit it to grant all fields');
      fields = [...new Set(input.fields)].sort();
    }
    const permission = fileGrant(caller, file, grantee.id, { ...input, action: highestAction(input.actions), fields }, file);
    const write = async (t: EntityManager) => {
      // Decided on the schema read above: a schema change of the file waits for this, or this for it (and then refuses).
      await lockFileSchema(t, file.id, 'decide');
      const now = await this.visibleFile(caller, file, file.id, t);
      if (now.schemaVersion !== file.schemaVersion) {
        throw conflict(`the file's schema changed (version ${now.schemaVersion}) while this grant was being decided; grant again`);
      }
      return this.writeGrant(
        t,
        caller.actor,
        permission,
        { ledger: file.districtCode, parties: [file.ownerCode, grantee.code] },
        onSame,
        pending,
      );
    };
    return tx ? write(tx) : this.db.transaction(write);
  }

  /** District and platform administrators grant a category of a district, up to a classification. */
  async grantScope(caller: AccessPolicy, input: ScopeGrantInput): Promise<GrantOutcome> {
    const district = await this.catalog.districtByCode(input.districtCode);
    if (!district) throw badInput(`no district "${input.districtCode}"`);
    if (!caller.mayGrantScope(district.id))
      throw forbidden('only administrators of the district, or platform administrators, grant by scope');
    if (!(CLASSIFICATIONS as readonly string[]).includes(input.maxClassification))
      throw badInput(`unknown classification ${input.maxClassification}`);
    const category = input.category.trim();
    if (!category) throw badInput('category must not be empty');
    const grantee = await this.grantee(input.granteeDepartmentCode);
    if (!caller.mayGrantScope(district.id, grantee.id)) throw forbidden(SELF_GRANT);
    const permission: NewGrantRow = {
      districtId: district.id,
      fileId: null,
      scopeCategory: category,
      scopeMaxClassification: input.maxClassification,
      granteeDepartmentId: grantee.id,
      action: highestAction(input.actions),
      fields: null,
      purpose: requirePurpose(input.purpose),
      expiresAt: checkExpiry(input.expiresAt),
      grantedBy: actorName(caller.actor),
      // A scope covers many files, each with its own versions: reviews record them per file.
      fileVersion: null,
      schemaVersion: null,
    };
    return this.db.transaction((tx) => this.writeGrant(tx, caller.actor, permission, { ledger: district.code, parties: [grantee.code] }));
  }

  /**
   * Granting what an active grant already gives (same file or scope, grantee,
   * action, fields and purpose) extends that grant when the new expiry is later,
   * and is a CONFLICT otherwise; it never makes a second, overlapping row.
   */
  private async writeGrant(
    tx: EntityManager,
    actor: Actor,
    permission: NewGrantRow,
    audit: { ledger: string; parties: string[] },
    onSame: 'conflict' | 'reuse' = 'conflict',
    pending?: AuditEvent[],
  ): Promise<GrantOutcome> {
    // Serializes grants of the same shape, so that two at once make one row.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `grant:${permission.districtId}:${permission.fileId ?? permission.scopeCategory}:${permission.granteeDepartmentId}`,
    ]);
    const now = new Date();
    const same = await this.repository.findSame(tx, permission, now);
    let id: string;
    let extended = false;
    if (same) {
      const longer =
        permission.expiresAt === null ? same.expiresAt !== null : same.expiresAt !== null && permission.expiresAt > same.expiresAt;
      if (!longer && onSame === 'reuse') {
        // Approving a request with exactly this grant is a decision on the file as it is now: it ends the grant's reviews.
        const settled = await this.settleReviews(tx, actor, same, permission, audit, 'approved again by an exchange decision');
        const outcome = { permission: await this.namedOne((await this.repository.byKey(same, tx))!), extended: false };
        if (pending) pending.push(...settled);
        else if (settled.length) await this.audit.append(tx, settled);
        return outcome;
      }
      if (!longer) {
        throw conflict(
          `grant ${same.id} already gives this${same.expiresAt ? ` until ${same.expiresAt.toISOString()}` : ''}; revoke it or grant with a later expiry`,
        );
      }
      await this.repository.extend(tx, same, permission.expiresAt);
      id = same.id;
      extended = true;
    } else {
      id = await this.repository.insert(tx, permission);
    }
    // Extending is deciding again, on the file as it is now: it ends the grant's reviews too.
    const settled = same ? await this.settleReviews(tx, actor, same, permission, audit, 'extended') : [];
    const event = grantedEvent(id, permission, extended, actor, audit);
    // Read before appending: the append takes the ledger's lock, held until commit.
    const outcome = {
      permission: await this.namedOne((await this.repository.byKey({ districtId: permission.districtId, id }, tx))!),
      extended,
    };
    if (pending) pending.push(event, ...settled);
    else await this.audit.append(tx, [event, ...settled]);
    return outcome;
  }

  /**
   * Ends the open reviews of a grant on a file that is being decided again
   * (an approval citing it, an extension), and records the versions it is now
   * decided on; the audit events to append: one `permission.reapproved` if a
   * review was open or the versions changed (its `fields` those the reviews
   * held, none when none was open), since the database holds every change of
   * a grant to an entry about it.
   */
  private async settleReviews(
    tx: EntityManager,
    actor: Actor,
    grant: StoredGrant,
    decision: NewGrantRow,
    audit: { ledger: string; parties: string[] },
    why: string,
  ): Promise<AuditEvent[]> {
    if (!grant.fileId || decision.fileVersion === null || decision.schemaVersion === null) return [];
    const open = await this.reviews.openOf(tx, grant, grant.fileId);
    const redecided = await this.repository.decidedOn(tx, grant, decision.fileVersion, decision.schemaVersion);
    if (open.length === 0 && !redecided) return [];
    if (open.length) {
      await this.reviews.resolve(
        tx,
        grant.districtId,
        open.map((r) => r.id),
        actorName(actor),
        why,
      );
    }
    return [
      {
        ledger: audit.ledger,
        actor: actorName(actor),
        action: 'permission.reapproved',
        subjectType: 'Permission',
        subjectId: grant.id,
        parties: audit.parties,
        payload: {
          fileId: grant.fileId,
          fields: [...new Set(open.flatMap((r) => r.fields))].sort(),
          schemaVersion: decision.schemaVersion,
          fileVersion: decision.fileVersion,
          note: why,
        },
      },
    ];
  }

  /**
   * A schema change of a file, as it reaches the grants: every EXCHANGE grant
   * not ended (in force, or dated to start later) that gives values of the file (on it or by scope) and whose
   * fields the change touched gets an open review holding those fields (a
   * changed type or a field marked sensitive among the fields it gives; an
   * added field, for a grant of all fields). A grant that names fields never
   * gains one. Runs in the change's transaction; returns the audit events
   * (one `permission.review_required` per grant held), for the caller to
   * append with its own, last.
   */
  async holdForSchemaChange(
    tx: EntityManager,
    actor: Actor,
    file: FileFacts & { districtCode: string; ownerCode: string },
    change: { schemaVersion: number; fieldsBefore: string[]; touched: string[]; added: string[]; summary: string },
  ): Promise<AuditEvent[]> {
    const grants = await this.reviews.exchangeGrantsOn(tx, file, new Date());
    const held = grants.flatMap((grant: GrantOnFile) => {
      const gives = new Set(grant.fields ?? change.fieldsBefore);
      const fields = [...change.touched.filter((f) => gives.has(f)), ...(grant.fields === null ? change.added : [])].sort();
      return fields.length ? [{ grant, fields, changes: change.summary }] : [];
    });
    await this.reviews.open(tx, file.id, change.schemaVersion, actorName(actor), held);
    const grantees = await this.catalog.departmentsByIds(held.map((h) => h.grant.granteeDepartmentId));
    return held.map(({ grant, fields }, i) => ({
      ledger: file.districtCode,
      actor: actorName(actor),
      action: 'permission.review_required',
      subjectType: 'Permission',
      subjectId: grant.id,
      parties: [file.ownerCode, grantees[i]!.code],
      payload: { fileId: file.id, schemaVersion: change.schemaVersion, fields, changes: change.summary },
    }));
  }

  /**
   * A steward of the owning department (or an administrator who may grant on
   * the file) re-approves a grant whose fields a schema change held: its
   * open reviews on the file (on every file it holds fields of, for a scope
   * grant without `fileId`) end, the held fields flow again, and the grant is
   * decided on the file's current versions. Whoever grants never receives:
   * nobody re-approves a grant to its own department. Audited.
   */
  async reapprove(caller: AccessPolicy, id: string, fileId: string | null, note: string | null): Promise<GrantRow> {
    const said = note?.trim() || null;
    return this.db.transaction(async (tx) => {
      // Found by the id the client gave (it fans out), then locked by its full key, on its district alone.
      const found = isUuid(id) ? await this.repository.byId(ANY_DISTRICT, id, tx) : null;
      const stored = found && (await this.repository.byKey(found, tx, true));
      const permission = stored && (await this.namedOne(stored));
      if (!permission || !(await this.isVisible(caller, permission, tx))) throw notFound(`no permission ${id}`);
      // Not an id of any file: as for a missing one (and never cast to uuid in SQL).
      if (fileId !== null && !isUuid(fileId)) throw notFound('no such file');
      if (permission.fileId && fileId !== null && fileId !== permission.fileId)
        throw badInput(`permission ${id} is not a grant on file ${fileId}`);
      const open = await this.reviews.openOf(tx, permission, fileId ?? permission.fileId);
      // A grant's reviews are of files of its district.
      const files = await Promise.all([...new Set(open.map((r) => r.fileId))].map((f) => this.visibleFile(caller, permission, f, tx)));
      // Fans out: the client's file id, only to refuse it as a missing file would be.
      if (fileId !== null && files.length === 0) await this.visibleFile(caller, ANY_DISTRICT, fileId, tx);
      const mayDecide = (file: CatalogFile) => caller.may('grant', file);
      if (files.some((f) => !mayDecide(f)) || (files.length === 0 && !(await this.mayDecideOn(caller, permission, tx)))) {
        throw forbidden('only a steward of the owning department or an administrator who may grant on the file re-approves this grant');
      }
      if (files.some((f) => !caller.may('grant', { ...f, granteeDepartmentId: permission.granteeDepartmentId })))
        throw forbidden(SELF_GRANT);
      if (grantEnded(permission, new Date())) throw conflict(`permission ${id} has ended (revoked or expired); grant again instead`);
      if (open.length === 0) throw conflict(`permission ${id} has nothing awaiting review${fileId ? ` on file ${fileId}` : ''}`);
      const who = actorName(caller.actor);
      await this.reviews.resolve(
        tx,
        permission.districtId,
        open.map((r) => r.id),
        who,
        said,
      );
      const file = permission.fileId ? files[0] : null;
      if (file) await this.repository.decidedOn(tx, permission, file.version, file.schemaVersion);
      const reapproved = await this.namedOne((await this.repository.byKey(permission, tx))!);
      await this.audit.append(
        tx,
        files.map((f) => ({
          ledger: permission.districtCode,
          actor: who,
          action: 'permission.reapproved',
          subjectType: 'Permission',
          subjectId: permission.id,
          parties: [f.ownerCode, permission.granteeCode],
          payload: {
            fileId: f.id,
            fields: [...new Set(open.filter((r) => r.fileId === f.id).flatMap((r) => r.fields))].sort(),
            schemaVersion: f.schemaVersion,
            fileVersion: f.version,
            note: said,
          },
        })),
      );
      return reapproved;
    });
  }

  /** Whether the caller may see the grant (read in `tx`, after it was locked). */
  private async isVisible(caller: AccessPolicy, permission: GrantRow, tx: EntityManager): Promise<boolean> {
    const visible = caller.grantVisibility(this.catalog.fileOwnerSql('p'));
    const only = { sql: `${visible.sql} AND p.id = :only`, params: { ...visible.params, only: permission.id } };
    return (await this.repository.count(permission, only, { activeAt: null }, tx)) === 1;
  }

  /** Whether the caller decides for the grant's file or scope (for a refusal that names no file). */
  private async mayDecideOn(caller: AccessPolicy, permission: GrantRow, tx: EntityManager): Promise<boolean> {
    if (!permission.fileId) return caller.mayGrantScope(permission.districtId);
    return caller.may('grant', await this.visibleFile(caller, permission, permission.fileId, tx));
  }

  /**
   * Two statements: the grant with whether the caller may see it, then the
   * revocation and its audit entry in one statement (nothing is written unless
   * the grant was still in force when it ran).
   */
  async revoke(caller: AccessPolicy, id: string, reason: string): Promise<GrantRow> {
    const why = reason?.trim();
    if (!why) throw badInput('a revocation needs a reason');
    // Fans out: the id comes from the client, without its district; the revocation then goes by the full key.
    const visibility = caller.grantVisibility(this.catalog.fileOwnerSql('p'));
    const found = isUuid(id) ? await this.repository.byIdSeenBy(ANY_DISTRICT, id, visibility) : null;
    if (!found?.visible) throw notFound(`no permission ${id}`);
    const permission = await this.namedOne(found.permission);
    const authorized = permission.fileId
      ? caller.may('grant', { districtId: permission.districtId, ownerDepartmentId: permission.ownerDepartmentId ?? '' })
      : caller.mayGrantScope(permission.districtId);
    if (!authorized) throw forbidden("only the owning department's stewards or the district's administrators revoke this grant");
    const alreadyRevoked = (p: StoredGrant) =>
      conflict(`permission ${id} was already revoked at ${p.revokedAt?.toISOString()} by ${p.revokedBy}`);
    if (permission.revokedAt) throw alreadyRevoked(permission);
    const event: AuditEvent = {
      ledger: permission.districtCode,
      actor: actorName(caller.actor),
      action: 'permission.revoked',
      subjectType: 'Permission',
      subjectId: permission.id,
      parties: [permission.ownerCode, permission.granteeCode].filter((c): c is string => c !== null),
      payload: { reason: why },
    };
    const revoked = await this.repository.revokeAudited(permission, actorName(caller.actor), why, (params) =>
      this.audit.inStatement([event], params),
    );
    // Revoked by someone else between the two statements: say by whom (a third read, on this path only).
    if (!revoked) throw alreadyRevoked((await this.repository.byKey(permission)) ?? permission);
    return this.namedOne(revoked);
  }

  /**
   * The EXCHANGE grant an approval makes on exactly the requested fields,
   * checked as grant() checks it (who may grant on the file, to whom), for
   * the approval to write in its own statement: the new grant's id, its audit
   * event, and its SQL. An identical grant already in force is not this path's
   * business: the SQL then writes nothing and the approval goes through grant(),
   * which reuses or extends it and settles its reviews. The file's versions the
   * new grant is decided on are written from the file row the statement locks.
   */
  approvalGrant(
    caller: AccessPolicy,
    file: { districtId: string; id: string; ownerDepartmentId: string; districtCode: string; ownerCode: string },
    grantee: { id: string; code: string },
    input: { fields: string[]; purpose: string; expiresAt: Date },
  ): ApprovalGrant {
    if (!caller.may('grant', file))
      throw forbidden('only a steward of the owning department or an administrator of its district grants on this file');
    checkGrantee(caller, file, grantee.id);
    if (input.fields.length === 0) throw badInput('fields, when given, must name at least one field; omit it to grant all fields');
    // Decided on the file as the approval's statement locks it: the versions are written from that row (insert).
    const versions = { version: null, schemaVersion: null };
    const permission = fileGrant(
      caller,
      file,
      grantee.id,
      { ...input, action: 'EXCHANGE', fields: [...new Set(input.fields)].sort() },
      versions,
    );
    const id = newId();
    return {
      id,
      event: grantedEvent(id, permission, false, caller.actor, { ledger: file.districtCode, parties: [file.ownerCode, grantee.code] }),
      noSameInForce: (params) => grantInStatementSql.noSameInForce(permission, params),
      insert: (params, from, decidedOn) => grantInStatementSql.insert(id, permission, params, from, decidedOn),
    };
  }

  /**
   * SQL, true while the grants `caller` relies on to obtain `fields` of
   * `file` (AccessPolicy.grantsGiving) are all still in force, locking them
   * for the statement's transaction: a delivery writes it into its one
   * statement, so that a revocation that commits after the caller's policy
   * was read either refuses the delivery or is recorded after it.
   */
  stillGiving(caller: AccessPolicy, file: FileFacts, fields: string[], params: SqlParams): string {
    const keys = caller.grantsGiving(file, fields).map((g) => ({ districtId: g.districtId, id: g.id }));
    return grantInStatementSql.stillInForce(keys, params);
  }

  /**
   * A page of the grants the caller may see (on its files, held by it, in its
   * district for admins, everything for auditors), with the exact count of all
   * that match: no list is cut.
   */
  async list(
    caller: AccessPolicy,
    filter: PermissionFilter,
    first: number,
    after: string | null,
  ): Promise<Page<GrantRow> & { totalCount: number }> {
    checkPageSize(first);
    // Fans out for the client's file id; the grants on it are then read in its district alone.
    const file = filter.fileId ? await this.visibleFile(caller, ANY_DISTRICT, filter.fileId) : null;
    // Without a file, the grants the caller may see span districts: the list fans out.
    const scope: DistrictScope = file ?? ANY_DISTRICT;
    let granteeId: string | null = null;
    if (filter.granteeDepartmentCode) {
      const department = await this.catalog.departmentByCode(filter.granteeDepartmentCode);
      if (!department) return { items: [], hasNextPage: false, endCursor: null, totalCount: 0 };
      granteeId = department.id;
    }
    const activeAt = filter.asOf ?? (filter.includeInactive ? null : new Date());
    const query = { fileId: filter.fileId, granteeDepartmentId: granteeId, activeAt };
    const visible = caller.grantVisibility(this.catalog.fileOwnerSql('p'));
    const [page, totalCount] = await Promise.all([
      this.repository.list(scope, visible, query, first, after),
      this.repository.count(scope, visible, query),
    ]);
    return { ...(await convertPage(page, (rows) => this.named(rows))), totalCount };
  }

  /** Grants in force now that expire within the window, soonest first, with their codes (for expiry notices). */
  async expiringBetween(from: Date, to: Date, limit: number): Promise<GrantRow[]> {
    // Fans out: expiries are looked for in every district.
    return this.named(await this.repository.expiringBetween(ANY_DISTRICT, from, to, limit));
  }

  /** Who may see who has access to a file, and why: its owner's side, administrators who may grant on it, auditors. */
  private mayInspectAccess(caller: AccessPolicy, file: CatalogFile): boolean {
    return caller.isOwner(file) || caller.may('grant', file) || caller.mayReadWholeLedgers();
  }

  /**
   * Every department whose members may `action` the file at `at` (now by
   * default), by the default rules or a grant, each with the reasons, paged
   * and counted in SQL by the directory under the access condition. Asked by
   * those who may see a file's grants.
   */
  async audience(caller: AccessPolicy, fileId: string, action: Action, first: number, after: string | null, asOf: Date | null = null) {
    checkPageSize(first);
    // Fans out for the client's file id; everything after it is read in the file's district.
    const file = await this.visibleFile(caller, ANY_DISTRICT, fileId);
    if (!this.mayInspectAccess(caller, file)) {
      throw forbidden("only the owning department, administrators who may grant on the file and auditors see a file's audience");
    }
    const at = asOf ?? new Date();
    const condition = audienceCondition(action, at);
    const [page, totalCount] = await Promise.all([
      this.catalog.departmentsAllowed(file, condition, first, after),
      this.catalog.countDepartmentsAllowed(file, condition),
    ]);
    // The reasons are CASL's, for the departments of this page only (their grants in one query):
    // only grants of the file's district can give anything on it.
    const withReasons = await convertPage(page, async (departments) => {
      const held = await grantsHeldByEachAt(
        this.db.manager,
        file,
        departments.map((d) => d.id),
        at,
      );
      return departments.map((department) => {
        const explained = memberPolicy(department, held.get(department.id) ?? [], at)
          .explain(file)
          .find((e) => e.action === action)!;
        return { department, reasons: explained.reasons };
      });
    });
    return { ...withReasons, totalCount };
  }

  /**
   * How many files a department's members may discover, read and exchange at
   * `at`: the mirror of a file's audience. Asked by the department itself, an
   * administrator who may grant in its district, or an auditor.
   */
  async accessCounts(caller: AccessPolicy, departmentCode: string, asOf: Date | null = null) {
    const department = await this.catalog.departmentByCode(departmentCode);
    if (!department) throw badInput(`no department "${departmentCode}"`);
    const asking =
      department.id === caller.actor.department.id || caller.mayGrantScope(department.districtId) || caller.mayReadWholeLedgers();
    if (!asking) throw forbidden("only the department itself, its district's administrators and auditors see what it may access");
    const at = asOf ?? new Date();
    // Fans out: a department's access spans every district's files.
    const policy = memberPolicy(department, await grantsHeldAt(this.db.manager, ANY_DISTRICT, department.id, at), at);
    // Another's access is counted over the files the caller may discover itself: a count must not tell of a file
    // the caller cannot see. Whoever reads whole ledgers already reads every grant's entry.
    const seen =
      department.id === caller.actor.department.id || caller.mayReadWholeLedgers()
        ? null
        : caller.fileCondition('f', 'DISCOVER', ANY_DISTRICT, 'seen');
    const [discover, read, exchange] = await Promise.all(
      ACTIONS.map((action) => {
        const allowed = policy.fileCondition('f', action);
        return this.catalog.countFilesAllowed(
          ANY_DISTRICT,
          seen ? { sql: `(${allowed.sql} AND ${seen.sql})`, params: { ...allowed.params, ...seen.params } } : allowed,
        );
      }),
    );
    return { department, at, discover, read, exchange };
  }

  /** Grants by id, in `scope` (their districts, where known). */
  async byIds(scope: DistrictScope, ids: readonly string[]): Promise<GrantRow[]> {
    return this.named(await this.repository.byIds(scope, ids));
  }

  /**
   * Which default rule or grant gives a department each action on a file, as
   * that department's members have it now. The owner's side, the department
   * itself and administrators may ask.
   */
  async explain(caller: AccessPolicy, fileId: string, departmentCode: string) {
    // Fans out for the client's file id; the department's grants are then read in the file's district, the only ones that matter.
    const file = await this.visibleFile(caller, ANY_DISTRICT, fileId);
    const department = await this.catalog.departmentByCode(departmentCode);
    if (!department) throw badInput(`no department "${departmentCode}"`);
    const asking = department.id === caller.actor.department.id || this.mayInspectAccess(caller, file);
    if (!asking) throw forbidden('only the department itself, the owning department and administrators see why a department has access');
    const at = new Date();
    const subject = memberPolicy(department, await grantsHeldAt(this.db.manager, file, department.id, at), at);
    const explained = subject.explain(file);
    const allowed = explained.filter((e) => e.reasons.length > 0).map((e) => e.action);
    const reasons = explained.map((e) =>
      e.reasons.length ? `${e.action}: ${e.reasons.join('; ')}` : `${e.action}: denied, no default rule or active grant gives it`,
    );
    const grants = explained.flatMap((e) => e.grants);
    const grantIds = [...new Set(grants.map((g) => g.id))];
    return { allowed, reasons, permissions: grantIds.length ? await this.byIds(districtsOf(grants), grantIds) : [] };
  }
}

/** The audit event of a grant made or extended. */
function grantedEvent(
  id: string,
  permission: NewGrantRow,
  extended: boolean,
  actor: Actor,
  audit: { ledger: string; parties: string[] },
): AuditEvent {
  return {
    ledger: audit.ledger,
    actor: actorName(actor),
    action: extended ? 'permission.extended' : 'permission.granted',
    subjectType: 'Permission',
    subjectId: id,
    parties: audit.parties,
    payload: {
      fileId: permission.fileId,
      scope: permission.fileId ? null : { category: permission.scopeCategory, maxClassification: permission.scopeMaxClassification },
      action: permission.action,
      fields: permission.fields,
      purpose: permission.purpose,
      expiresAt: permission.expiresAt?.toISOString() ?? null,
    },
  };
}

/** Who may receive a grant on a file: not its owner, who holds every right, and never the granter's own department. */
function checkGrantee(caller: AccessPolicy, file: GrantSubject, granteeId: string): void {
  if (granteeId === file.ownerDepartmentId)
    throw badInput('the owning department already has every right on its files; grant to another department');
  if (!caller.may('grant', { ...file, granteeDepartmentId: granteeId })) throw forbidden(SELF_GRANT);
}

/** A grant on one file as it is written, decided on the file's versions given (null: taken from the row when written). */
function fileGrant(
  caller: AccessPolicy,
  file: { districtId: string; id: string },
  granteeId: string,
  grant: { action: Action; fields: string[] | null; purpose: string; expiresAt?: Date | null },
  versions: { version: number | null; schemaVersion: number | null },
): NewGrantRow {
  return {
    districtId: file.districtId,
    fileId: file.id,
    scopeCategory: null,
    scopeMaxClassification: null,
    granteeDepartmentId: granteeId,
    action: grant.action,
    fields: grant.fields,
    purpose: requirePurpose(grant.purpose),
    expiresAt: checkExpiry(grant.expiresAt),
    grantedBy: actorName(caller.actor),
    fileVersion: versions.version,
    schemaVersion: versions.schemaVersion,
  };
}

function highestAction(actions: Action[]): Action {
  if (!actions?.length) throw badInput('actions must name at least one of DISCOVER, READ, EXCHANGE');
  return actions.reduce((a, b) => (ACTIONS.indexOf(b) > ACTIONS.indexOf(a) ? b : a));
}

function checkExpiry(expiresAt: Date | null | undefined): Date | null {
  if (!expiresAt) return null;
  if (Number.isNaN(expiresAt.getTime())) throw badInput('expiresAt is not a valid time');
  if (expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future');
  return expiresAt;
}
