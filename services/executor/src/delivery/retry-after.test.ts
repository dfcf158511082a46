import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

const NOW = Date.parse('2026-03-03T10:00:00Z');

describe('parseRetryAfter', () => {
  it('reads whole seconds', () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(['7', '9'], NOW)).toBe(7000);
  });

  it('reads an HTTP date, in the three forms RFC 9110 allows', () => {
    expect(parseRetryAfter('Tue, 03 Mar 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tuesday, 03-Mar-26 10:01:00 GMT', NOW)).toBe(60_000);
    // asctime carries no zone; JavaScript reads it as local time, so only its readability is checked.
    expect(parseRetryAfter('Tue Mar  3 10:00:05 2026', NOW)).toBeTypeOf('number');
  });

  it('treats a date in the past as "now"', () => {
    expect(parseRetryAfter('Tue, 03 Mar 2026 09:00:00 GMT', NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const v of [undefined, '', '1.5', '-3', 'soon', '1e3', 'NaN']) expect(parseRetryAfter(v, NOW)).toBeUndefined();
  });
});
