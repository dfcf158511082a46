import { describe, expect, it } from 'vitest';
import { compileSafePattern, patternProblem } from './safe-pattern.js';

describe('definition patterns run in linear time', () => {
  it('answers ^(a+)+$ at once where a backtracking engine takes exponential time', () => {
    const pattern = compileSafePattern('^(a+)+$');
    const started = performance.now();
    expect(pattern.test(`${'a'.repeat(10_240)}!`)).toBe(false);
    // JavaScript's engine needs about 2 s for 29 characters here, doubling with each one more.
    expect(performance.now() - started).toBeLessThan(50);
    expect(pattern.test('aaaa')).toBe(true);
  });

  it.each([
    ['^(?=.*\\d).+$', 'look-around'],
    ['(?<!x)y', 'look-around'],
    ['^(a)\\1$', 'back-reference'],
    ['(?<n>a)\\k<n>', 'back-reference'],
  ])('refuses %s, which RE2 cannot run, saying why', (pattern, why) => {
    expect(patternProblem(pattern)).toContain(why);
  });

  it('refuses what ECMA-262 cannot read, as the model reads patterns that way', () => {
    expect(patternProblem('(?i)abc')).toMatch(/^is not a valid regular expression/);
    expect(patternProblem('^[a-z]{2,3}-\\d+$')).toBeUndefined();
  });
});
