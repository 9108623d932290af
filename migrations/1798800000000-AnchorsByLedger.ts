import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform ledger's anchors of one district, past a size, in one index
 * range. The signer reads the anchors its next checkpoint must agree with
 * (those past the latest trusted checkpoint: normally none) every time it
 * signs; without this index that read walked every anchor of every district,
 * one more a minute per district for as long as the service runs. The size
 * is read as the anchors write it (a whole number); a payload whose size is
 * not one gives NULL here and is no anchor (AuditRepository.anchoredCheckpoints).
 */
const ANCHOR_SIZE = `(CASE WHEN payload->>'size' ~ '^[0-9]{1,15}$' THEN (payload->>'size')::bigint END)`;

export class AnchorsByLedger1798800000000 implements MigrationInterface {
  name = 'AnchorsByLedger1798800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX audit_entry_anchor_idx ON audit_entry ((payload->>'ledger'), ${ANCHOR_SIZE})
        WHERE ledger = 'platform' AND action = 'checkpoint.anchored'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_entry_anchor_idx`);
  }
}
