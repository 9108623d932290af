import type { Actor } from '@app/auth';
import { buildAbility, rulesFor, type AccessRule, type AppAbility } from './ability.factory.js';
import type { FileFacts, GrantFacts } from './actions.js';

const NO_GRANT = 'defaults';

/**
 * One caller's rules: its roles' default rules and its department's grants,
 * built into CASL abilities once and reusable for as long as both are
 * unchanged (AccessService keeps them per department and set of roles).
 *
 * A file is decided by CASL over the rules that can apply to it: the default
 * rules, the grants on that file, and the scope grants of its district and
 * category. No other grant's conditions can match it, and the rules keep
 * their order, so the decision is the whole ability's, reached without
 * testing every grant the department holds on every file of a page. Those
 * smaller abilities are built on first use and kept: one per granted file,
 * one per granted scope, and the default rules' own for every other file.
 */
export class AccessRules {
  /** Every rule: the grants, then the default rules (CASL gives the later rule precedence). */
  readonly ability: AppAbility;
  readonly defaultAbility: AppAbility;
  private readonly grantRules: AccessRule[];
  private readonly defaults: AccessRule[];
  private readonly grantedFiles = new Set<string>();
  private readonly grantedScopes = new Set<string>();
  private readonly byKey = new Map<string, AppAbility>();

  constructor(
    actor: Actor,
    readonly grants: readonly GrantFacts[],
  ) {
    const rules = rulesFor(actor, grants);
    this.ability = buildAbility(rules);
    // rulesFor lists the grants first; a file's own ability keeps that order.
    this.grantRules = rules.filter((r) => r.grant);
    this.defaults = rules.filter((r) => !r.grant);
    this.defaultAbility = buildAbility(this.defaults);
    this.byKey.set(NO_GRANT, this.defaultAbility);
    for (const g of grants) {
      if (g.fileId) this.grantedFiles.add(g.fileId);
      else this.grantedScopes.add(scopeKey(g.districtId, g.scopeCategory));
    }
  }

  /** The ability that decides `file`: the default rules and the grants that can apply to it, in their order. */
  abilityFor(file: Pick<FileFacts, 'id' | 'districtId' | 'category'>): AppAbility {
    const scope = scopeKey(file.districtId, file.category);
    const key = this.grantedFiles.has(file.id)
      ? `file ${file.id}\u0000${scope}`
      : this.grantedScopes.has(scope)
        ? `scope ${scope}`
        : NO_GRANT;
    let ability = this.byKey.get(key);
    if (!ability) {
      const applicable = this.grantRules.filter(({ grant }) =>
        grant!.fileId ? grant!.fileId === file.id : scopeKey(grant!.districtId, grant!.scopeCategory) === scope,
      );
      ability = buildAbility([...applicable, ...this.defaults]);
      this.byKey.set(key, ability);
    }
    return ability;
  }
}

const scopeKey = (districtId: string, category: string | null): string => `${districtId}\u0000${category}`;
