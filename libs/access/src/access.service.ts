import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Actor } from '@app/auth';
import { ANY_DISTRICT, districtsOf } from '@app/common';
import { LRUCache } from 'lru-cache';
import { AccessPolicy } from './access-policy.js';
import { AccessRules } from './access-rules.js';
import { grantsHeldAtEach, grantsHeldByEachAt, grantsHeldChanged, type DistrictGrants } from './grants-held.repository.js';
import type { GrantFacts, HeldFields } from './actions.js';
import { ReviewsRepository } from './reviews.repository.js';
import type { PermissionKey } from './grant.repository.js';

/** How many grants the kept rules may hold in all (each department's rules count as its grants, plus one). */
export const KEPT_RULES_MAX_GRANTS = 10_000;

@Injectable()
export class AccessService {
  /**
   * Rules built per department and set of roles, with what they were built
   * from: the department's tag and versions, its grants per district, and the
   * instants they hold for (from the latest read until the next start or end
   * of one of those grants or of a review of one).
   */
  private readonly built = new LRUCache<string, KeptRules>({
    maxSize: KEPT_RULES_MAX_GRANTS,
    sizeCalculation: (kept) => kept.rules.grants.length + 1,
  });

  constructor(
    private readonly db: DataSource,
    private readonly reviews: ReviewsRepository,
  ) {}

  /** What the kept rules hold now (their grants, plus one per rule set) and its bound, for metrics. */
  keptRules(): { size: number; max: number } {
    return { size: this.built.calculatedSize, max: KEPT_RULES_MAX_GRANTS };
  }

  /** The fields each grant holds for review now, per file, in one query (for listing grants); grants holding none are absent. */
  heldForReview(grants: readonly PermissionKey[]): Promise<Map<string, HeldFields[]>> {
    return this.reviews.heldNow(
      districtsOf(grants),
      grants.map((g) => g.id),
    );
  }

  /**
   * The caller's policy: its roles plus the grants its department holds now.
   * One query, which sends the grants only when they differ from those the
   * rules kept for this department and roles were built from.
   */
  async policyFor(actor: Actor, at = new Date()): Promise<AccessPolicy> {
    // Everything the rules are built from besides the grants: the department as the rules name it, and the roles.
    const { id, code, districtId, districtCode } = actor.department;
    const key = [id, code, districtId, districtCode, ...[...new Set(actor.roles)].sort()].join(' ');
    const instant = at.getTime();
    const kept = this.built.get(key);
    const usable = kept && kept.from <= instant && instant < kept.until ? kept : undefined;
    // Fans out: a department's grants sit in any district.
    const held = await grantsHeldChanged(this.db.manager, actor.department.id, at, usable ?? null);
    if (usable && held.changed === null) return new AccessPolicy(actor, usable.rules, at);
    // Read whole, or the districts that changed over those kept.
    const versions = new Map(usable?.versions);
    const districts = new Map(usable?.districts);
    for (const [district, version] of held.changed?.versions ?? []) {
      if (version === null) versions.delete(district);
      else versions.set(district, version);
    }
    for (const [district, grants] of held.changed?.districts ?? []) {
      if (grants.grants.length === 0 && grants.until === Infinity) {
        districts.delete(district);
      } else {
        districts.set(district, grants);
        // Grants read without a version (written with the triggers off) are kept as such.
        if (!versions.has(district)) versions.set(district, null);
      }
    }
    const grants = [...districts.values()].flatMap((d) => d.grants);
    const rules = new AccessRules(actor, grants);
    const until = Math.min(...[...districts.values()].map((d) => d.until));
    this.built.set(key, { tag: held.tag, versions, districts, rules, from: instant, until });
    return new AccessPolicy(actor, rules, at);
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

/** A department's rules as kept, with what they were built from (see policyFor). */
interface KeptRules {
  tag: string;
  versions: Map<string, string | null>;
  districts: Map<string, DistrictGrants>;
  rules: AccessRules;
  from: number;
  until: number;
}
