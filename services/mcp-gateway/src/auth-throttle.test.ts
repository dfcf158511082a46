import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle.js';

describe('bearer failures are throttled per client address', () => {
  it('answers a wait after the limit, for the rest of the window, and forgets on success or when the window ends', () => {
    let now = 1_000_000;
    const throttle = new AuthThrottle(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
      throttle.failed('10.0.0.1');
    }
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(60);
    expect(throttle.retryAfterSeconds('10.0.0.2')).toBe(0);
    now += 45_500;
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(15);
    now += 15_000;
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
    throttle.failed('10.0.0.2');
    throttle.failed('10.0.0.2');
    throttle.succeeded('10.0.0.2');
    throttle.failed('10.0.0.2');
    expect(throttle.retryAfterSeconds('10.0.0.2')).toBe(0);
  });

  it('keeps a bounded number of addresses', () => {
    const throttle = new AuthThrottle(1, 60_000, () => 0, 2);
    throttle.failed('a');
    throttle.failed('b');
    throttle.failed('c');
    expect(throttle.retryAfterSeconds('a')).toBe(0);
    expect(throttle.retryAfterSeconds('c')).toBe(60);
  });
});
