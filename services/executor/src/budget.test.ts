import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { budgetFor, budgetSignal } from './budget.js';

describe('budgetFor', () => {
  it("is the definition's timeout when the runtime set no deadline or a distant one", () => {
    expect(budgetFor(5_000, Infinity, 0)).toBe(5_000);
    expect(budgetFor(5_000, 60_000, 0)).toBe(5_000);
  });

  it('keeps a tenth of a nearer deadline (50 to 250 ms) back for the reply to reach the runtime', () => {
    expect(budgetFor(5_000, 1_000, 0)).toBe(900);
    expect(budgetFor(5_000, 300, 0)).toBe(250);
    expect(budgetFor(5_000, 4_000, 0)).toBe(3_750);
  });

  it('is a whole number of milliseconds, as AbortSignal.timeout requires, and never below 10 ms', () => {
    expect(budgetFor(5_000, 600.7, 0.2)).toBe(540);
    expect(Number.isInteger(budgetFor(5_000, 1_234.567, 0))).toBe(true);
    expect(budgetFor(5_000, 20, 0)).toBe(10);
    expect(budgetFor(5_000, 0, 100)).toBe(10);
  });
});

describe('budgetSignal', () => {
  it('aborts with a TimeoutError when the budget runs out, as AbortSignal.timeout does', async () => {
    const { signal } = budgetSignal(10);
    expect(signal.aborted).toBe(false);
    await sleep(40);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('never aborts once its timer is cleared at the end of the call', async () => {
    const { signal, timer } = budgetSignal(10);
    clearTimeout(timer);
    await sleep(40);
    expect(signal.aborted).toBe(false);
  });
});
