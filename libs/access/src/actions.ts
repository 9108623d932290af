export const ACTIONS = ['DISCOVER', 'READ', 'EXCHANGE'] as const;
export type Action = (typeof ACTIONS)[number];

/** Each action implies the ones before it: EXCHANGE gives READ and DISCOVER. */
export const impliedActions = (action: Action): Action[] => ACTIONS.slice(0, ACTIONS.indexOf(action) + 1);

export const CLASSIFICATIONS = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Mirrors the SQL function classification_rank(). */
export const classificationRank = (c: Classification): number => CLASSIFICATIONS.indexOf(c) + 1;

/** The attributes of a file that access decisions depend on. */
export interface FileFacts {
  id: string;
  districtId: string;
  ownerDepartmentId: string;
  classification: Classification;
  category: string;
}

/** A permission row as the rules need it. */
export interface GrantFacts {
  id: string;
  districtId: string;
  fileId: string | null;
  scopeCategory: string | null;
  scopeMaxClassification: Classification | null;
  action: Action;
  /** null: every field, sensitive ones included. */
  fields: string[] | null;
  purpose: string;
  grantedBy: string;
  validFrom: Date;
  expiresAt: Date | null;
  /**
   * Fields whose delivery the grant holds, per file, until a steward
   * re-approves it: a schema change touched them after the grant was decided
   * (a type changed, a field marked sensitive, a field added to a file the
   * grant gives whole). Absent or empty: nothing is held.
   */
  held?: readonly HeldFields[];
}

/** What one open review holds of a grant on one file. */
export interface HeldFields {
  fileId: string;
  fields: string[];
  /** The file's schema version whose change opened the review. */
  schemaVersion: number;
}
