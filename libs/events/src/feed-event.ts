import type { FileFacts } from '@app/access';

/** What a department is told about a file it holds a grant on (or owns). */
export const FILE_EVENT_KINDS = ['VERSION_PUBLISHED', 'SCHEMA_CHANGED', 'GRANT_REVOKED', 'GRANT_EXPIRING'] as const;
export type FileEventKind = (typeof FILE_EVENT_KINDS)[number];

/** What the requester and the owner of an exchange are told. */
export const EXCHANGE_EVENT_KINDS = ['EXCHANGE_REQUESTED', 'EXCHANGE_APPROVED', 'EXCHANGE_REJECTED', 'EXCHANGE_DELIVERED'] as const;
export type ExchangeEventKind = (typeof EXCHANGE_EVENT_KINDS)[number];

export type FeedEventKind = FileEventKind | ExchangeEventKind;

/**
 * The audit actions the feed reads, and the event each becomes. Only these:
 * every event is an entry that was recorded and committed.
 */
export const FEED_ACTIONS: Readonly<Record<string, FeedEventKind>> = {
  'records.published': 'VERSION_PUBLISHED',
  'file.schema_changed': 'SCHEMA_CHANGED',
  'permission.revoked': 'GRANT_REVOKED',
  'permission.expiring': 'GRANT_EXPIRING',
  'exchange.requested': 'EXCHANGE_REQUESTED',
  'exchange.approved': 'EXCHANGE_APPROVED',
  'exchange.rejected': 'EXCHANGE_REJECTED',
  'exchange.delivered': 'EXCHANGE_DELIVERED',
};
export const FEED_ACTION_NAMES = Object.keys(FEED_ACTIONS);

export const isExchangeKind = (kind: FeedEventKind): kind is ExchangeEventKind =>
  (EXCHANGE_EVENT_KINDS as readonly string[]).includes(kind);

/** One event as a client receives it: the audit entry it comes from (ledger, seq) and where to resume after it. */
export interface FeedEvent {
  kind: FeedEventKind;
  ledger: string;
  seq: number;
  occurredAt: Date;
  /** Opaque: the reader's position in every ledger just after this event. */
  cursor: string;
  fileId: string | null;
  exchangeId: string | null;
  permissionId: string | null;
  /** The file's version, for VERSION_PUBLISHED. */
  version: number | null;
  /** The file's new schema version, for SCHEMA_CHANGED. */
  schemaVersion: number | null;
  /** Who did it, as the audit entry names them (`subject@department`, or `grant:<id>`). */
  actor: string;
  /** The reason or note given, if any (a revocation's reason, a rejection's reason, an approval's note). */
  note: string | null;
}

/**
 * An event before it is addressed: the facts the access rules need to decide
 * who may receive it, looked up once for every subscriber of a process.
 */
export interface Candidate {
  event: Omit<FeedEvent, 'cursor'>;
  /** The file it concerns, as it is now; null when it no longer exists (then nobody is told). */
  file: FileFacts | null;
  /** For grant events: the department that held the grant. */
  granteeDepartmentId: string | null;
  /** For exchange events: the requesting and the owning department. */
  exchangeParties: { requesterDepartmentId: string; ownerDepartmentId: string } | null;
}
