import { describe, expect, it } from '@jest/globals';
import { jsonNesting } from './json-body.js';

describe('jsonNesting', () => {
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[1,[2,{"b":3}]]}', 4],
    ['[[],[[]],[]]', 3],
    // Brackets inside strings, escaped quotes and backslashes do not count.
    ['{"q":"{ files { edges { node { id } } } }"}', 1],
    ['{"q":"\\"[[[[","r":[1]}', 2],
    ['{"q":"\\\\","r":[[1]]}', 3],
  ])('%s is %i deep', (text, depth) => {
    expect(jsonNesting(text, 100)).toBe(depth);
    expect(JSON.parse(text)).toBeDefined();
  });

  it('stops as soon as the limit is passed', () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    expect(jsonNesting(deep, 64)).toBe(65);
    expect(jsonNesting(deep, 200_000)).toBe(100_000);
  });
});
