// The call state's cost (issue 27): what a definition with `from` (one read) that exports (one write)
// adds to an invocation, measured on the executor's own CallStateStore against the real Redis, one
// operation at a time (c=1). Self-contained so that run.mjs only calls it and prints its line.
import { randomBytes, randomUUID } from 'node:crypto';
import { load, workspace } from './deps.mjs';

/** The target from the issue: state read + write add at most this much p50 at c=1. */
export const CALL_STATE_TARGET_P50_MS = 0.3;

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Reads a call's state and opens one value, then writes two exports (sealed, size-checked, TTL renewed):
 * what the state step and settleCallState do for one invocation. A fresh call id every 50 operations,
 * so the hash stays the size of a real call's.
 */
export async function benchCallState({ redisUrl, samples = 2_000, warmup = 200 }) {
  const { Redis } = await load('ioredis');
  const { KeyRing } = await workspace('crypto');
  const { CallStateStore } = await import(new URL('../../services/executor/dist/call-state/index.js', import.meta.url).href);
  const { keyRingSealer } = await import(new URL('../../services/executor/dist/auth/index.js', import.meta.url).href);
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false });
  await new Promise((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const prefix = `bench-state-${randomBytes(4).toString('hex')}:`;
  const store = new CallStateStore(redis, keyRingSealer(KeyRing.parse(`b1:${randomBytes(32).toString('base64')}`)), prefix, { ttlSeconds: 60, maxBytes: 16 * 1024 });
  const timings = { read: [], write: [], both: [] };
  let callId = randomUUID();
  try {
    for (let i = 0; i < warmup + samples; i++) {
      if (i % 50 === 0) callId = randomUUID();
      const t0 = performance.now();
      const snapshot = await store.read('bench-org', callId);
      snapshot.value('patient_id');
      const t1 = performance.now();
      await store.write('bench-org', callId, {
        values: [
          { name: 'patient_id', value: `pat-${i}`, sensitive: false },
          { name: 'dob', value: '1961-04-12', sensitive: true },
        ],
      });
      const t2 = performance.now();
      if (i < warmup) continue;
      timings.read.push(t1 - t0);
      timings.write.push(t2 - t1);
      timings.both.push(t2 - t0);
    }
  } finally {
    const keys = await redis.keys(`${prefix}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  }
  const summary = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99) };
  };
  const both = summary(timings.both);
  return {
    concurrency: 1,
    samples,
    read: summary(timings.read),
    write: summary(timings.write),
    readPlusWrite: both,
    targetP50Ms: CALL_STATE_TARGET_P50_MS,
    pass: both.p50 <= CALL_STATE_TARGET_P50_MS,
  };
}

/** The PASS/MISS line, in the form printSummary uses for the other targets. */
export function callStateLine(r) {
  return `${r.pass ? 'PASS' : 'MISS'}  call state read+write adds ≤ ${r.targetP50Ms} ms p50 at c=1: ${r.readPlusWrite.p50.toFixed(3)} ms (read ${r.read.p50.toFixed(3)}, write ${r.write.p50.toFixed(3)}; p99 ${r.readPlusWrite.p99.toFixed(3)}; n=${r.samples})`;
}
