import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Actor } from '@app/auth';
import { ANY_DISTRICT, districtsOf } from '@app/common';
import { AccessPolicy } from './access-policy.js';
import { grantsHeldAt, grantsHeldAtEach, grantsHeldByEachAt } from './grants-held.repository.js';
import type { GrantFacts, HeldFields } from './actions.js';
import { ReviewsRepository } from './reviews.repository.js';
import type { PermissionKey } from './grant.repository.js';

@Injectable()
export class AccessService {
  constructor(
    private readonly db: DataSource,
    private readonly reviews: ReviewsRepository,
  ) {}

  /** The fields each grant holds for review now, per file, in one query (for listing grants); grants holding none are absent. */
  heldForReview(grants: readonly PermissionKey[]): Promise<Map<string, HeldFields[]>> {
    return this.reviews.heldNow(
      districtsOf(grants),
      grants.map((g) => g.id),
    );
  }

  /** The caller's policy: its roles plus the grants its department holds now. One query. */
  async policyFor(actor: Actor, at = new Date()): Promise<AccessPolicy> {
    // Fans out: a department's grants sit in any district.
    return new AccessPolicy(actor, await grantsHeldAt(this.db.manager, ANY_DISTRICT, actor.department.id, at), at);
  }

  /** The grants each department holds at `at`, in one query: for deciding about many callers at once (build each AccessPolicy from them). */
  grantsOfDepartments(departmentIds: readonly string[], at: Date): Promise<Map<string, GrantFacts[]>> {
    // Fans out, as policyFor.
    return grantsHeldByEachAt(this.db.manager, ANY_DISTRICT, departmentIds, at);
  }

  /** The caller's policy at each of several past instants (by epoch milliseconds), in one query. */
  async policiesAt(actor: Actor, instants: readonly Date[]): Promise<Map<number, AccessPolicy>> {
    // Fans out, as policyFor.
    const held = await grantsHeldAtEach(this.db.manager, ANY_DISTRICT, actor.department.id, instants);
    return new Map([...held].map(([ms, grants]) => [ms, new AccessPolicy(actor, grants, new Date(ms))]));
  }
}
