import { describe, expect, it } from 'vitest';
import { callStats, percentile } from './call-stats.js';

const NOW = Date.parse('2026-12-03T12:00:00.000Z');
const at = (minutesAgo: number, latencyMs: number, outcome = 'OUTCOME_SUCCESS') => ({ time: new Date(NOW - minutesAgo * 60_000).toISOString(), latencyMs, outcome });

describe('callStats', () => {
  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_v, i) => i + 1);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
  });

  it('cuts the last hour into 5-minute buckets with p50/p95 each, and counts outcomes over the window only', () => {
    const records = [
      ...Array.from({ length: 20 }, (_v, i) => at(2, i + 1)), // newest bucket: 1..20 ms
      at(58, 300, 'OUTCOME_TIMEOUT'), // oldest bucket
      at(59.5, 10, 'OUTCOME_UPSTREAM_ERROR'),
      at(61, 5, 'OUTCOME_UPSTREAM_ERROR'), // before the window
      { time: 'not a time', latencyMs: 1, outcome: 'OUTCOME_SUCCESS' },
    ];
    const stats = callStats(records, '1h', NOW);
    expect(stats.total).toBe(22);
    expect(stats.buckets).toHaveLength(12);
    expect(stats.buckets[0]).toEqual({ start: '2026-12-03T11:00:00.000Z', count: 2, p50: 10, p95: 300 });
    expect(stats.buckets[11]).toEqual({ start: '2026-12-03T11:55:00.000Z', count: 20, p50: 10, p95: 19 });
    expect(stats.buckets.slice(1, 11).every((b) => b.count === 0 && b.p50 === null && b.p95 === null)).toBe(true);
    expect(stats.outcomes).toEqual([
      { outcome: 'OUTCOME_SUCCESS', count: 20 },
      { outcome: 'OUTCOME_TIMEOUT', count: 1 },
      { outcome: 'OUTCOME_UPSTREAM_ERROR', count: 1 },
    ]);
  });

  it('cuts the last day into hours', () => {
    const stats = callStats([at(60 * 23 + 30, 4), at(1, 8)], '24h', NOW);
    expect(stats.buckets).toHaveLength(24);
    expect(stats.buckets[0]!.count).toBe(1);
    expect(stats.buckets[23]!.count).toBe(1);
    expect(stats.from).toBe('2026-12-02T12:00:00.000Z');
  });

  it('shows what the limits did: calls that queued (with their wait p95) and calls refused RATE_LIMITED, per bucket and in all', () => {
    const queued = (minutesAgo: number, waitMs: number) => ({ ...at(minutesAgo, waitMs + 20), limitWaitMs: waitMs });
    const records = [
      ...Array.from({ length: 20 }, (_v, i) => queued(1, (i + 1) * 10)), // newest bucket: waits 10..200 ms
      queued(58, 500),
      at(2, 1000, 'OUTCOME_RATE_LIMITED'),
      at(3, 1000, 'OUTCOME_RATE_LIMITED'),
      at(4, 3), // sent at once: no wait recorded
      queued(61, 900), // before the window
    ];
    const { limits } = callStats(records, '1h', NOW);
    expect(limits).toMatchObject({ queued: 21, rateLimited: 2, waitP95: 200 });
    expect(limits.buckets).toHaveLength(12);
    expect(limits.buckets[11]).toEqual({ queued: 20, rateLimited: 2, waitP95: 190 });
    expect(limits.buckets[0]).toEqual({ queued: 1, rateLimited: 0, waitP95: 500 });
    expect(limits.buckets.slice(1, 11).every((b) => b.queued === 0 && b.rateLimited === 0 && b.waitP95 === null)).toBe(true);
    expect(callStats([at(1, 5)], '1h', NOW).limits).toMatchObject({ queued: 0, rateLimited: 0, waitP95: null });
  });
});
