import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { budgetFor, CallBudget } from './budget.js';

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

  it('is a whole number of milliseconds, and never below 10 ms', () => {
    expect(budgetFor(5_000, 600.7, 0.2)).toBe(540);
    expect(Number.isInteger(budgetFor(5_000, 1_234.567, 0))).toBe(true);
    expect(budgetFor(5_000, 20, 0)).toBe(10);
    expect(budgetFor(5_000, 0, 100)).toBe(10);
  });
});

describe('CallBudget', () => {
  it('aborts with a TimeoutError when the budget runs out, as AbortSignal.timeout does', async () => {
    const budget = new CallBudget(10);
    expect(budget.aborted).toBe(false);
    expect(() => budget.throwIfAborted()).not.toThrow();
    await sleep(40);
    expect(budget.aborted).toBe(true);
    expect(budget.reason).toBeInstanceOf(DOMException);
    expect((budget.reason as DOMException).name).toBe('TimeoutError');
    expect(() => budget.throwIfAborted()).toThrow(DOMException);
  });

  it('calls each listener still added once, in the order added, and none added after the abort', async () => {
    const budget = new CallBudget(10);
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    budget.addEventListener('abort', () => calls.push('first'));
    budget.addEventListener('abort', removed);
    budget.addEventListener('abort', () => calls.push('second'));
    budget.removeEventListener('abort', removed);
    await sleep(40);
    budget.addEventListener('abort', () => calls.push('late'));
    await sleep(20);
    expect(calls).toEqual(['first', 'second']);
  });

  it('never aborts once the call ended it, and forgets its listeners', async () => {
    const budget = new CallBudget(10);
    let called = false;
    budget.addEventListener('abort', () => (called = true));
    budget.end();
    await sleep(40);
    expect(budget.aborted).toBe(false);
    expect(called).toBe(false);
  });
});
