import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, so the order the model emitted does not matter', () => {
    const a = { time: '14:00', date: '2025-03-03', patient: { last: 'Doe', first: 'Jane' }, tags: [{ b: 1, a: 2 }] };
    const b = { patient: { first: 'Jane', last: 'Doe' }, date: '2025-03-03', tags: [{ a: 2, b: 1 }], time: '14:00' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe(
      '{"date":"2025-03-03","patient":{"first":"Jane","last":"Doe"},"tags":[{"a":2,"b":1}],"time":"14:00"}',
    );
    expect(canonicalHash(a)).toBe(canonicalHash(b));
  });

  it('keeps array order and value types significant', () => {
    expect(canonicalHash({ slots: [1, 2] })).not.toBe(canonicalHash({ slots: [2, 1] }));
    expect(canonicalHash({ n: 1 })).not.toBe(canonicalHash({ n: '1' }));
    expect(canonicalHash({ a: null })).not.toBe(canonicalHash({}));
  });

  it('changes the hash when any one value changes', () => {
    const base = { date: '2025-03-03', time: '14:00' };
    expect(canonicalHash({ ...base, time: '14:30' })).not.toBe(canonicalHash(base));
    expect(canonicalHash(base)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
