import { describe, expect, it } from '@jest/globals';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalRows, project } from './records.js';

/**
 * A delivery's content hash is over canonicalize's text of the projected rows;
 * canonicalRows writes that text faster, and must write exactly it (or
 * decline, for the caller to canonicalize).
 */
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const scalar = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', '"', '\\', '\n\t\b\f\r', '\u0001\u001f', '\u2028', 'é', '医疗', '😀', '\uE000', '</script>'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, 2 ** 53),
  fc.boolean(),
  fc.constant(null),
);

describe('canonicalRows', () => {
  it('writes what canonicalize writes for the projected rows', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(name, { minLength: 0, maxLength: 6 })
          .chain((fields) => fc.tuple(fc.constant(fields), fc.array(fc.dictionary(name, scalar, { maxKeys: 8 }), { maxLength: 6 }))),
        ([fields, rows]) => {
          const projected = project(rows, fields);
          expect(canonicalRows(projected, fields)).toBe(canonicalize(projected));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('declines values that are not JSON scalars, and repeated fields', () => {
    expect(canonicalRows([{ a: { b: 1 } }], ['a'])).toBeNull();
    expect(canonicalRows([{ a: [1] }], ['a'])).toBeNull();
    expect(canonicalRows([{ a: Number.NaN }], ['a'])).toBeNull();
    expect(canonicalRows([{ a: '\uD800' }], ['a'])).toBeNull();
    expect(canonicalRows([{ a: 1 }], ['a', 'a'])).toBeNull();
    expect(canonicalRows([{ b: 'x', a: 2 }], ['b', 'a'])).toBe('[{"a":2,"b":"x"}]');
  });
});
