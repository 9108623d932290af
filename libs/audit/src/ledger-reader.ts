/**
 * What the audit log needs to know about whoever reads it. Declared here, so
 * that the log depends on no business library: the access policy satisfies it
 * (its rule set decides), and the log only asks.
 */
export interface LedgerReader {
  /** The caller's department: a party code that entries may name. */
  readonly actor: { readonly department: { readonly code: string } };
  /** Every entry of every ledger (auditors, platform administrators). */
  mayReadWholeLedgers(): boolean;
  /** Verify ledgers and sign checkpoints on demand. */
  mayVerifyLedgers(): boolean;
  /** One entry, by the parties it names. */
  mayReadAuditEntry(entry: { parties: string[] }): boolean;
}

/**
 * The ledgers that exist before their first entry: each onboarded district's.
 * Districts are the directory's; it answers, so the log reads no table of
 * another library. An abstract class, so that it is also the Nest token.
 */
export abstract class KnownLedgers {
  abstract has(ledger: string): Promise<boolean>;
}
