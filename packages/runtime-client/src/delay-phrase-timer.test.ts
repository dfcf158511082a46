import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sayWhileWaiting } from './delay-phrase-timer.js';

const PHRASES = { startPhrase: 'Let me check.', delayPhrase: 'Still checking.', delayAfterMs: 1200 };

describe('sayWhileWaiting', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says the start phrase at once and the delay phrase only once the wait outlives delayAfterMs', () => {
    const said: string[] = [];
    const timer = sayWhileWaiting(PHRASES, (p) => said.push(p));
    expect(said).toEqual(['Let me check.']);
    vi.advanceTimersByTime(1199);
    expect(said).toEqual(['Let me check.']);
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['Let me check.', 'Still checking.']);
    expect(timer.delaySaid).toBe(true);
    timer.stop();
  });

  it('says no delay phrase when the answer comes first, and nothing for a silent tool', () => {
    const said: string[] = [];
    const timer = sayWhileWaiting(PHRASES, (p) => said.push(p));
    vi.advanceTimersByTime(800);
    timer.stop();
    timer.stop();
    vi.advanceTimersByTime(5000);
    expect(said).toEqual(['Let me check.']);
    expect(timer.delaySaid).toBe(false);
    sayWhileWaiting({ ...PHRASES, silent: true }, (p) => said.push(p));
    vi.advanceTimersByTime(5000);
    expect(said).toEqual(['Let me check.']);
  });
});
