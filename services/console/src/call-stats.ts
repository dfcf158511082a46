import { textOf, type AuditRecord } from './audit-index.js';

/** The windows the charts offer, each cut into buckets of equal length. */
export const STATS_WINDOWS = {
  '1h': { ms: 3600_000, buckets: 12 },
  '24h': { ms: 24 * 3600_000, buckets: 24 },
} as const;

export type StatsWindow = keyof typeof STATS_WINDOWS;

export interface LatencyBucket {
  /** The bucket's start, ISO time. */
  readonly start: string;
  readonly count: number;
  /** Latency percentiles in ms; null when the bucket holds no call. */
  readonly p50: number | null;
  readonly p95: number | null;
}

/** What an integration's `limits` did in one bucket: calls that queued for their turn, and calls refused. */
export interface LimitBucket {
  readonly queued: number;
  readonly rateLimited: number;
  /** The p95 of the queued calls' waits in ms (the audit's limitWaitMs); null when none queued. */
  readonly waitP95: number | null;
}

export interface LimitStats extends LimitBucket {
  /** One per latency bucket, in the same order. */
  readonly buckets: readonly LimitBucket[];
}

export interface CallStats {
  readonly window: StatsWindow;
  readonly from: string;
  readonly to: string;
  readonly total: number;
  readonly buckets: readonly LatencyBucket[];
  /** Calls per outcome in the window, most frequent first. */
  readonly outcomes: readonly { readonly outcome: string; readonly count: number }[];
  readonly limits: LimitStats;
}

/** The nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(rank, 1)) - 1]!;
}

/**
 * Latency p50/p95 per bucket, the outcome breakdown, and what the integration's limits did (calls queued,
 * their waits, calls refused RATE_LIMITED) for the records that fall in the window ending at `now`.
 */
export function callStats(records: readonly AuditRecord[], window: StatsWindow, now: number): CallStats {
  const { ms, buckets: n } = STATS_WINDOWS[window];
  const from = now - ms;
  const size = ms / n;
  const latencies: number[][] = Array.from({ length: n }, () => []);
  const waits: number[][] = Array.from({ length: n }, () => []);
  const rateLimited: number[] = Array.from({ length: n }, () => 0);
  const outcomes = new Map<string, number>();
  let total = 0;
  for (const r of records) {
    const t = Date.parse(textOf(r['time']));
    if (!(t >= from && t <= now)) continue;
    total += 1;
    const outcome = typeof r['outcome'] === 'string' ? r['outcome'] : 'OUTCOME_UNSPECIFIED';
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const bucket = Math.min(n - 1, Math.floor((t - from) / size));
    if (typeof r['latencyMs'] === 'number' && Number.isFinite(r['latencyMs'])) latencies[bucket]!.push(r['latencyMs']);
    if (typeof r['limitWaitMs'] === 'number' && r['limitWaitMs'] > 0) waits[bucket]!.push(r['limitWaitMs']);
    if (outcome === 'OUTCOME_RATE_LIMITED') rateLimited[bucket]! += 1;
  }
  const limitBuckets = waits.map((values, i): LimitBucket => ({ queued: values.length, rateLimited: rateLimited[i]!, waitP95: percentile(values.sort((a, b) => a - b), 95) }));
  const allWaits = waits.flat().sort((a, b) => a - b);
  return {
    window,
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    total,
    buckets: latencies.map((values, i) => {
      const sorted = values.sort((a, b) => a - b);
      return { start: new Date(from + i * size).toISOString(), count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
    }),
    outcomes: [...outcomes].map(([outcome, count]) => ({ outcome, count })).sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome)),
    limits: { queued: allWaits.length, rateLimited: rateLimited.reduce((a, b) => a + b, 0), waitP95: percentile(allWaits, 95), buckets: limitBuckets },
  };
}
