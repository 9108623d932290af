import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The instants that decide access are written in whole milliseconds: a grant's
 * start (valid_from) and a review's opening (opened_at), by their defaults;
 * revocations and resolutions, by the service's statements (NOW_SQL).
 *
 * The service decides a policy at an instant its clock reads in milliseconds
 * (a JavaScript Date), and reads the rows' instants back in milliseconds too.
 * PostgreSQL's now() has microseconds: a grant written at 12:00:00.123456 was
 * not in force for a policy decided at 12:00:00.123, in the same millisecond,
 * just after the grant committed (a delivery right after its approval was
 * refused), while the same row read into memory (12:00:00.123) said it was.
 * In whole milliseconds, a write takes effect at the millisecond it was made,
 * in SQL and in memory alike. Existing rows keep their instants.
 */
export class AccessInstantsInMilliseconds1797300000000 implements MigrationInterface {
  name = 'AccessInstantsInMilliseconds1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE permission ALTER COLUMN valid_from SET DEFAULT date_trunc('milliseconds', now())`);
    await q.query(`ALTER TABLE permission_review ALTER COLUMN opened_at SET DEFAULT date_trunc('milliseconds', now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE permission_review ALTER COLUMN opened_at SET DEFAULT now()`);
    await q.query(`ALTER TABLE permission ALTER COLUMN valid_from SET DEFAULT now()`);
  }
}
