// A closed-loop load generator: `concurrency` workers each send their next request as soon as the
// previous one answered, until `total` requests were sent. Latency is measured per request with
// performance.now() (sub-microsecond resolution) from just before the call to its settlement.

/**
 * Runs `op(i)` `total` times at `concurrency`. `op` resolves to true for a good answer or to a short
 * string naming what was wrong; a throw counts as an error too.
 */
export async function closedLoop({ concurrency, total, op }) {
  const latencies = new Float64Array(total);
  let next = 0;
  let errors = 0;
  const errorKinds = new Map();
  const note = (kind) => {
    errors++;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t0 = performance.now();
      let verdict;
      try {
        verdict = await op(i);
      } catch (err) {
        verdict = err instanceof Error ? `${err.code ?? err.name}: ${err.message.slice(0, 80)}` : String(err);
      }
      latencies[i] = performance.now() - t0;
      if (verdict !== true) note(String(verdict));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const wallMs = performance.now() - started;
  return { latencies, wallMs, errors, errorKinds: Object.fromEntries(errorKinds) };
}

/** Nearest-rank percentile of a sorted array. */
function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The middle value (nearest rank) of a list of numbers. */
export function median(values) {
  return percentile(Float64Array.from(values).sort(), 0.5);
}

export function summarize(latencies, wallMs) {
  const sorted = Float64Array.from(latencies).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sum / sorted.length,
    throughput: (sorted.length / wallMs) * 1000,
  };
}

export const PERCENTILES = ['p50', 'p90', 'p99', 'p999'];
