import { Injectable } from '@nestjs/common';
import { GrantService, type FileFacts } from '@app/access';
import type { AuditEntryData } from '@app/audit';
import { ANY_DISTRICT, isUuid, type DistrictScope } from '@app/common';
import { DirectoryService } from '@app/directory';
import { ExchangeService } from '@app/exchange';
import { FEED_ACTIONS, type Candidate } from './feed-event.js';

const text = (payload: unknown, key: string): string | null => {
  const value = (payload as Record<string, unknown> | null)?.[key];
  return typeof value === 'string' ? value : null;
};

/**
 * Turns audit entries into events with the facts that decide who receives
 * them: a handful of queries per batch of entries (files, grants and
 * exchanges by id), read through the libraries that own those tables.
 */
@Injectable()
export class FeedCandidates {
  constructor(
    private readonly directory: DirectoryService,
    private readonly permissions: GrantService,
    private readonly exchanges: ExchangeService,
  ) {}

  /**
   * The districts of the entries' ledgers: a district's ledger records its own
   * files, grants and exchanges. Any district when a ledger is not a
   * district's (the reads then fan out).
   */
  private async districtsOf(entries: readonly AuditEntryData[]): Promise<DistrictScope> {
    const codes = [...new Set(entries.map((e) => e.ledger))];
    const districts = await this.directory.districtsByCodes(codes);
    return districts.length === codes.length ? { districtIds: districts.map((d) => d.id) } : ANY_DISTRICT;
  }

  /** One candidate per entry of a feed action, in the entries' order. */
  async of(entries: readonly AuditEntryData[]): Promise<Candidate[]> {
    const feed = entries.filter((e) => FEED_ACTIONS[e.action] && isUuid(e.subjectId));
    if (feed.length === 0) return [];
    const scope = await this.districtsOf(feed);
    const ids = (type: string) => [...new Set(feed.filter((e) => e.subjectType === type).map((e) => e.subjectId))];
    const [grants, exchanges] = await Promise.all([
      ids('Permission').length ? this.permissions.byIds(scope, ids('Permission')) : [],
      ids('Exchange').length ? this.exchanges.parties(scope, ids('Exchange')) : [],
    ]);
    const grantById = new Map(grants.map((g) => [g.id, g]));
    const exchangeById = new Map(exchanges.map((x) => [x.id, x]));
    const fileIdOf = (e: AuditEntryData): string | null =>
      e.subjectType === 'DataFile'
        ? e.subjectId
        : e.subjectType === 'Permission'
          ? (grantById.get(e.subjectId)?.fileId ?? null)
          : e.subjectType === 'Exchange'
            ? (exchangeById.get(e.subjectId)?.fileId ?? null)
            : null;
    const fileIds = [...new Set(feed.map(fileIdOf).filter((id): id is string => id !== null))];
    const files = new Map<string, FileFacts>((fileIds.length ? await this.directory.filesByIds(scope, fileIds) : []).map((f) => [f.id, f]));
    return feed.map((e) => {
      const fileId = fileIdOf(e);
      const grant = e.subjectType === 'Permission' ? grantById.get(e.subjectId) : undefined;
      const exchange = e.subjectType === 'Exchange' ? exchangeById.get(e.subjectId) : undefined;
      const { version, schemaVersion } = (e.payload as { version?: unknown; schemaVersion?: unknown } | null) ?? {};
      return {
        event: {
          kind: FEED_ACTIONS[e.action],
          ledger: e.ledger,
          seq: e.seq,
          occurredAt: new Date(e.occurredAt),
          fileId,
          exchangeId: e.subjectType === 'Exchange' ? e.subjectId : null,
          permissionId: e.subjectType === 'Permission' ? e.subjectId : text(e.payload, 'permissionId'),
          version: e.subjectType === 'DataFile' && typeof version === 'number' ? version : null,
          schemaVersion: e.action === 'file.schema_changed' && typeof schemaVersion === 'number' ? schemaVersion : null,
          actor: e.actor,
          note: text(e.payload, 'reason') ?? text(e.payload, 'note'),
        },
        file: fileId ? (files.get(fileId) ?? null) : null,
        granteeDepartmentId: grant?.granteeDepartmentId ?? null,
        exchangeParties: exchange
          ? { requesterDepartmentId: exchange.requesterDepartmentId, ownerDepartmentId: exchange.ownerDepartmentId }
          : null,
      };
    });
  }
}
