/**
 * A file is decided by the rules that can apply to it (AccessRules.abilityFor)
 * exactly as by the whole ability: for random grants, roles and files, every
 * action, every matching rule in CASL's order (what explain and the field
 * decisions read), and the abilities kept between files.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ROLES, type Actor } from '@app/auth';
import { asSubject, type AccessRule } from './ability.factory.js';
import { AccessPolicy } from './access-policy.js';
import { ACTIONS, CLASSIFICATIONS, type FileFacts, type GrantFacts } from './actions.js';

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
  }));

const actor = fc.record<Actor>({
  subject: fc.constant('tester'),
  roles: fc.subarray([...ROLES], { minLength: 1 }),
  department: fc.constantFrom(...DEPARTMENTS).map((id) => ({ id, code: id, name: id, districtId: 'd-1', districtCode: 'd-1' })),
});

/** The rules of the whole ability that match the file for the action, in CASL's order. */
const matchingInWhole = (policy: AccessPolicy, action: (typeof ACTIONS)[number], f: FileFacts): string[] =>
  policy.ability
    .rulesFor(action, 'DataFile')
    .filter((r) => !r.inverted && r.matchesConditions(asSubject(f)))
    .map((r) => (r.origin as AccessRule).reason);

describe('the rules that can apply to a file', () => {
  it('decide every action, and match the same rules in the same order, as the whole ability', () => {
    fc.assert(
      fc.property(actor, fc.array(grant, { maxLength: 12 }), fc.array(file, { minLength: 1, maxLength: 8 }), (who, grants, files) => {
        const unique = grants.map((g, i) => ({ ...g, id: `${g.id}-${i}` }));
        const policy = new AccessPolicy(who, unique, new Date());
        for (const f of files) {
          for (const action of ACTIONS) {
            expect(policy.can(action, f)).toBe(policy.ability.can(action, asSubject(f)));
          }
          expect(policy.explain(f).map((e) => e.reasons)).toEqual(ACTIONS.map((a) => matchingInWhole(policy, a, f)));
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
