import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cached canonical payload text is bound to the payload by a CHECK
 * constraint, so that verification need not parse it back into jsonb for
 * every entry (a fifth of the cost of confirming a page in PostgreSQL).
 *
 * Unlike the table's triggers, a CHECK constraint still holds when triggers
 * are disabled or the session replicates: a row whose payload and cached text
 * disagree cannot be written at all. The owner can drop the constraint; the
 * verifier therefore looks it up in the catalog before each run and compares
 * payload and cache entry by entry, as before, unless it is there and
 * validated exactly as written here (see range-verifier.ts).
 */
export class AuditPayloadCacheBound1796650000000 implements MigrationInterface {
  name = 'AuditPayloadCacheBound1796650000000';

  async up(q: QueryRunner): Promise<void> {
    // Validates every existing row, in this migration's transaction.
    await q.query(
      `ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_payload_cached CHECK (payload_jcs IS NULL OR payload_jcs::jsonb = payload)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_payload_cached`);
  }
}
