import { describe, expect, it } from '@jest/globals';
import { isPlainRead } from './read-replicas.js';

describe('which statements a replica may serve', () => {
  it.each([
    'SELECT id FROM data_file WHERE district_id = $1',
    '  select count(*)::int AS n FROM "data_file" "f"',
    'WITH page AS (SELECT id FROM data_file) SELECT * FROM page',
    'SELECT updated_at, updated_by FROM data_file',
    'SELECT seq, hash FROM audit_entry WHERE ledger = $1',
  ])('a plain read: %s', (sql) => expect(isPlainRead(sql)).toBe(true));

  it.each([
    'INSERT INTO permission (district_id) VALUES ($1)',
    'UPDATE exchange SET status = $1',
    'WITH revoked AS (UPDATE permission SET revoked_at = now() RETURNING id) SELECT id FROM revoked',
    'SELECT version FROM data_file WHERE id = $1 FOR UPDATE',
    'SELECT id FROM exchange WHERE id = $1 FOR SHARE',
    "SELECT pg_notify('department_wrote', $1)",
    'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
    "SELECT nextval('seq')",
    'SELECT seq, prev_hash, hash FROM audit_append_many($1, $2::jsonb)',
    'SELECT audit_record_checkpoint($1, $2, $3)',
    'SELECT txid_current()',
    'START TRANSACTION',
    'VACUUM ANALYZE',
  ])('not for a replica: %s', (sql) => expect(isPlainRead(sql)).toBe(false));
});
