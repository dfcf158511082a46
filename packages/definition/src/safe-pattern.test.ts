import { HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkArguments } from './argument-check.js';
import { compileSafePattern, patternProblem } from './safe-pattern.js';
import { validateIntegration } from './validate-integration.js';

function withPattern(pattern: string): Integration {
  return Integration.fromPartial({
    key: 'probe',
    name: 'Probe',
    description: 'Checks one value.',
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: 'https://api.example.com/probe',
    parameters: [{ name: 'v', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, pattern }],
  });
}

/** The fastest of three runs: a loaded machine can pause any single run, but not all three. */
function fastestMs(run: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Patterns from a grammar rich in nested quantifiers and overlapping alternatives: the ReDoS shapes. */
const patternArbitrary: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', '\\d', '\\w', '.', '[ab]', '[^!]', 'a?', '\\s'),
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{1,3}', '{2,}', '*?', '+?')).map(([n, q]) => `(?:${n})${q}`),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => `${x}${y}`),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => `(${x}|${y})`),
    tie('node').map((n) => `(${n})+`),
  ),
})).node.map((body) => `^${body}$`);

/** Inputs that make backtracking engines explode on the patterns above. */
const HOSTILE_INPUTS = ['a'.repeat(10_240) + '!', 'ab'.repeat(5_120) + '!', '1'.repeat(10_240) + ' ', 'a '.repeat(5_120)];

describe('definition patterns run in linear time', () => {
  it('answers ^(a+)+$ at once where a backtracking engine takes exponential time', () => {
    const pattern = compileSafePattern('^(a+)+$');
    expect(fastestMs(() => expect(pattern.test(`${'a'.repeat(10_240)}!`)).toBe(false))).toBeLessThan(5);
    expect(pattern.test('aaaa')).toBe(true);
  });

  it('no pattern the registry accepts takes more than a few ms on a 10 KB input', () => {
    let accepted = 0;
    fc.assert(
      fc.property(patternArbitrary, (pattern) => {
        if (validateIntegration(withPattern(pattern)).length > 0) return;
        accepted += 1;
        const def = withPattern(pattern);
        checkArguments(def, { v: 'warm-up' });
        for (const input of HOSTILE_INPUTS) {
          expect(fastestMs(() => checkArguments(def, { v: input })), `${pattern} on ${input.slice(0, 4)}…`).toBeLessThan(5);
        }
      }),
      { numRuns: 150 },
    );
    // The grammar must produce patterns the registry takes, or the property proves nothing.
    expect(accepted).toBeGreaterThan(100);
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
