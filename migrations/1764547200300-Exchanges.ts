import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Published record versions of a file, and the request -> decision -> delivery workflow. */
export class Exchanges1764547200300 implements MigrationInterface {
  name = 'Exchanges1764547200300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_version (
        district_id  uuid NOT NULL,
        file_id      uuid NOT NULL,
        version      integer NOT NULL CHECK (version >= 1),
        content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
        row_count    integer NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        published_by text NOT NULL,
        PRIMARY KEY (district_id, file_id, version),
        FOREIGN KEY (district_id, file_id) REFERENCES data_file (district_id, id) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE data_record (
        district_id uuid NOT NULL,
        file_id     uuid NOT NULL,
        version     integer NOT NULL,
        row_no      integer NOT NULL,
        row         jsonb NOT NULL,
        PRIMARY KEY (district_id, file_id, version, row_no),
        FOREIGN KEY (district_id, file_id, version) REFERENCES data_version (district_id, file_id, version) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE exchange (
        district_id             uuid NOT NULL,
        id                      uuid NOT NULL DEFAULT gen_random_uuid(),
        file_id                 uuid NOT NULL,
        requester_department_id uuid NOT NULL REFERENCES department (id),
        requested_by            text NOT NULL,
        fields                  text[] NOT NULL CHECK (cardinality(fields) > 0),
        purpose                 text NOT NULL CHECK (btrim(purpose) <> ''),
        status                  text NOT NULL CHECK (status IN ('REQUESTED', 'APPROVED', 'REJECTED', 'DELIVERED')),
        requested_at            timestamptz NOT NULL DEFAULT now(),
        decided_at              timestamptz,
        decided_by              text,
        decision_note           text,
        permission_id           uuid,
        delivered_at            timestamptz,
        delivered_version       integer,
        content_hash            text,
        PRIMARY KEY (district_id, id),
        FOREIGN KEY (district_id, file_id) REFERENCES data_file (district_id, id),
        FOREIGN KEY (district_id, permission_id) REFERENCES permission (district_id, id),
        CHECK ((status = 'REQUESTED') = (decided_at IS NULL)),
        CHECK ((status = 'DELIVERED') = (delivered_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX exchange_id_idx ON exchange (id)`);
    await q.query(`CREATE INDEX exchange_requester_idx ON exchange (requester_department_id, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX exchange_file_idx ON exchange (district_id, file_id, requested_at DESC, id DESC)`);
    // An exchange finds its latest audit entry (its receipt) through this.
    await q.query(`CREATE INDEX audit_entry_subject_idx ON audit_entry (ledger, subject_type, subject_id, seq DESC)`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON data_version, data_record TO exchange_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON exchange TO exchange_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_entry_subject_idx`);
    await q.query(`DROP TABLE exchange`);
    await q.query(`DROP TABLE data_record`);
    await q.query(`DROP TABLE data_version`);
  }
}
