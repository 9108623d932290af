/**
 * A file is decided by the rules that can apply to it (AccessRules.abilityFor)
 * exactly as by the whole rule set (`rulesFor`, in one CASL ability): for
 * random grants (some holding fields for review), roles and files, every
 * action, every matching rule in CASL's order, the fields obtainable and
 * those awaiting review; and the abilities kept between files.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ROLES, type Actor } from '@app/auth';
import { asSubject, buildAbility, rulesFor, type AccessRule, type AppAbility } from './ability.factory.js';
import { AccessPolicy } from './access-policy.js';
import { AccessRules } from './access-rules.js';
import { ACTIONS, CLASSIFICATIONS, type FileFacts, type GrantFacts } from './actions.js';

/** The reference: every file decided by the whole rule set, as `rulesFor` lists it. */
class WholeRuleSet extends AccessRules {
  private readonly whole: AppAbility;

  constructor(actor: Actor, grants: readonly GrantFacts[]) {
    super(actor, grants);
    this.whole = buildAbility(rulesFor(actor, grants));
  }

  override abilityFor(): AppAbility {
    return this.whole;
  }
}

const DISTRICTS = ['d-1', 'd-2', 'd-3'];
const DEPARTMENTS = ['dep-1', 'dep-2', 'dep-3'];
const CATEGORIES = ['health', 'housing', 'transport'];
const FILE_IDS = ['f-1', 'f-2', 'f-3', 'f-4', 'f-5', 'f-6'];
const FIELDS = ['a', 'b', 'c'];

const file = fc.record<FileFacts>({
  id: fc.constantFrom(...FILE_IDS),
  districtId: fc.constantFrom(...DISTRICTS),
  ownerDepartmentId: fc.constantFrom(...DEPARTMENTS),
  classification: fc.constantFrom(...CLASSIFICATIONS),
  category: fc.constantFrom(...CATEGORIES),
});

const grant = fc
  .record({
    onFile: fc.boolean(),
    fileId: fc.constantFrom(...FILE_IDS),
    districtId: fc.constantFrom(...DISTRICTS),
    category: fc.constantFrom(...CATEGORIES),
    max: fc.constantFrom(...CLASSIFICATIONS),
    action: fc.constantFrom(...ACTIONS),
    fields: fc.option(fc.subarray(FIELDS, { minLength: 1 }), { nil: null }),
    held: fc.array(
      fc.record({ fileId: fc.constantFrom(...FILE_IDS), fields: fc.subarray(FIELDS, { minLength: 1 }), schemaVersion: fc.nat(5) }),
      {
        maxLength: 2,
      },
    ),
  })
  .map((g): GrantFacts => ({
    id: `g-${g.fileId}-${g.districtId}-${g.category}-${g.action}`,
    districtId: g.districtId,
    fileId: g.onFile ? g.fileId : null,
    scopeCategory: g.onFile ? null : g.category,
    scopeMaxClassification: g.onFile ? null : g.max,
    action: g.action,
    fields: g.fields,
    purpose: 'property',
    grantedBy: 'someone@elsewhere',
    validFrom: new Date(0),
    expiresAt: null,
    held: g.held,
  }));

const actor = fc.record<Actor>({
  subject: fc.constant('tester'),
  roles: fc.subarray([...ROLES], { minLength: 1 }),
  department: fc.constantFrom(...DEPARTMENTS).map((id) => ({ id, code: id, name: id, districtId: 'd-1', districtCode: 'd-1' })),
});

/** The rules of an ability that match the file for the action, in CASL's order. */
const matching = (ability: AppAbility, action: (typeof ACTIONS)[number], f: FileFacts): string[] =>
  ability
    .rulesFor(action, 'DataFile')
    .filter((r) => !r.inverted && r.matchesConditions(asSubject(f)))
    .map((r) => (r.origin as AccessRule).reason);

const catalogue = FIELDS.map((name) => ({ name, type: 'string', sensitive: name === 'a', description: null }));

describe('the rules that can apply to a file', () => {
  it('decide every action, match the same rules in the same order, and give the same fields, as the whole rule set', () => {
    fc.assert(
      fc.property(actor, fc.array(grant, { maxLength: 12 }), fc.array(file, { minLength: 1, maxLength: 8 }), (who, grants, files) => {
        const unique = grants.map((g, i) => ({ ...g, id: `${g.id}-${i}` }));
        const at = new Date();
        const policy = new AccessPolicy(who, unique, at);
        const reference = new AccessPolicy(who, new WholeRuleSet(who, unique), at);
        const whole = buildAbility(rulesFor(who, unique));
        for (const f of files) {
          for (const action of ACTIONS) {
            expect(policy.can(action, f)).toBe(whole.can(action, asSubject(f)));
            expect(matching(policy.rules.abilityFor(f), action, f)).toEqual(matching(whole, action, f));
          }
          expect(policy.actionsOn(f)).toEqual(reference.actionsOn(f));
          expect(policy.explain(f)).toEqual(reference.explain(f));
          expect(policy.obtainableFields(f, catalogue)).toEqual(reference.obtainableFields(f, catalogue));
          expect(policy.fieldsAwaitingReview(f, catalogue)).toEqual(reference.fieldsAwaitingReview(f, catalogue));
          expect(policy.fieldCatalogue(f, catalogue)).toEqual(reference.fieldCatalogue(f, catalogue));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps one ability per granted file and per granted scope, and the default rules for every other file', () => {
    const grants: GrantFacts[] = [
      { ...baseGrant, id: 'on-f-1', fileId: 'f-1' },
      { ...baseGrant, id: 'scope', scopeCategory: 'health', scopeMaxClassification: 'RESTRICTED' },
    ];
    const policy = new AccessPolicy(
      { subject: 't', roles: ['MEMBER'], department: { id: 'dep-1', code: 'dep-1', name: '', districtId: 'd-1', districtCode: 'd-1' } },
      grants,
      new Date(),
    );
    const at = (id: string, districtId: string, category: string) => policy.rules.abilityFor({ id, districtId, category });
    expect(at('f-1', 'd-1', 'housing')).toBe(at('f-1', 'd-1', 'housing'));
    expect(at('f-1', 'd-1', 'housing')).not.toBe(policy.rules.defaultAbility);
    expect(at('f-2', 'd-1', 'health')).toBe(at('f-3', 'd-1', 'health'));
    expect(at('f-2', 'd-1', 'health')).not.toBe(at('f-1', 'd-1', 'health'));
    expect(at('f-4', 'd-2', 'health')).toBe(policy.rules.defaultAbility);
    expect(at('f-5', 'd-1', 'housing')).toBe(policy.rules.defaultAbility);
  });
});

const baseGrant: GrantFacts = {
  id: '',
  districtId: 'd-1',
  fileId: null,
  scopeCategory: null,
  scopeMaxClassification: null,
  action: 'EXCHANGE',
  fields: null,
  purpose: 'test',
  grantedBy: 'someone@elsewhere',
  validFrom: new Date(0),
  expiresAt: null,
};
