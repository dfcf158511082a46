// A Prometheus histogram read from a service's /metrics, and what a pass of the benchmark added to it:
// how the executor itself saw a wait (the audit spool's fdatasync) in the rounds that measured a path.
import { load } from './deps.mjs';

/**
 * The cumulative buckets, count and sum of histogram `name` in the text format: one series (a service's
 * default labels, such as `service`, are the same on every line and ignored).
 */
export function parseHistogram(text, name) {
  const buckets = [];
  let count = 0;
  let sum = 0;
  const value = (line) => Number(line.slice(line.lastIndexOf(' ') + 1));
  const is = (line, suffix) => line.startsWith(`${name}${suffix} `) || line.startsWith(`${name}${suffix}{`);
  for (const line of text.split('\n')) {
    if (is(line, '_bucket')) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le !== undefined) buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value(line) });
    } else if (is(line, '_count')) count = value(line);
    else if (is(line, '_sum')) sum = value(line);
  }
  return { buckets, count, sum };
}

/** Reads histogram `name` from http://127.0.0.1:<port>/metrics. */
export async function scrapeHistogram(port, name) {
  const { request } = await load('undici');
  const res = await request(`http://127.0.0.1:${port}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`metrics on port ${port}: HTTP ${res.statusCode}`);
  return parseHistogram(text, name);
}

/** What happened between two readings (`a` then `b`) of the same histogram, added onto `into` when given. */
export function histogramDelta(a, b, into) {
  const out = into ?? { buckets: b.buckets.map((x) => ({ le: x.le, count: 0 })), count: 0, sum: 0 };
  b.buckets.forEach((x, i) => {
    out.buckets[i].count += x.count - (a.buckets[i]?.count ?? 0);
  });
  out.count += b.count - a.count;
  out.sum += b.sum - a.sum;
  return out;
}

/**
 * The bucket the q-quantile falls in, as [low, high] seconds: all a histogram can say of it. The low
 * edge is what a floor may count on (a lower bound of the quantile), so a sum of floors never overstates.
 */
export function quantileBounds(h, q) {
  if (h.count === 0) return undefined;
  const rank = q * h.count;
  let low = 0;
  for (const { le, count } of h.buckets) {
    if (count >= rank) return [low, le];
    low = le;
  }
  return [low, Infinity];
}
