import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('keeps FIFO order across wrap-around and refuses items beyond its capacity', () => {
    const q = new BoundedQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, true, false]);
    expect(q.shift()).toBe(1);
    expect(q.push(5)).toBe(true);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 5, undefined]);
    expect(q.length).toBe(0);
  });

  it('reports how many items clear() discarded', () => {
    const q = new BoundedQueue<string>(4);
    q.push('a');
    q.push('b');
    expect(q.clear()).toBe(2);
    expect(q.shift()).toBeUndefined();
  });
});
