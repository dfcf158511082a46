import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorClient } from '@switchboard/client';
import { Outcome, type Integration } from '@switchboard/contracts';
import { startService, type ServiceProcess, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { define, outcomeName, register, startExecutorStack, waitUntilKnown, type DeepPartial } from './helpers.js';
import { waitFor } from '../support/audit-files.js';

/**
 * Issue 25's limits across replicas: two executors sharing one Redis in front of an upstream that
 * records how many of its requests overlap and when each arrived.
 */
describe('per-integration limits across two executor replicas', () => {
  let upstream: Upstream;
  let stack: Stack;
  let second: ServiceProcess;
  let clientB: ExecutorClient;
  /** Requests the upstream is answering right now, and the most at once, per path. */
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const arrivals = new Map<string, number[]>();
  /** Answers held open until the test ends (a hung upstream). */
  const held: http.ServerResponse[] = [];
  let busyAnswered429 = false;

  const pathOf = (url: string) => url.split('?')[0]!.slice(1);

  beforeAll(async () => {
    upstream = await startUpstream(async (req, res) => {
      const path = pathOf(req.url);
      arrivals.set(path, [...(arrivals.get(path) ?? []), performance.now()]);
      const now = (inFlight.get(path) ?? 0) + 1;
      inFlight.set(path, now);
      most.set(path, Math.max(most.get(path) ?? 0, now));
      try {
        if (path === 'hung' && (arrivals.get(path)?.length ?? 0) <= 2) {
          held.push(res);
          return;
        }
        if (path === 'busy' && !busyAnswered429) {
          busyAnswered429 = true;
          res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
          res.end('{"error":"slow down"}');
          return;
        }
        if (path === 'concurrent' || path === 'tight') await sleep(path === 'tight' ? 600 : 60);
        json(res, 200, { ok: true });
      } finally {
        inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
      }
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', withLogger: false, executorEnv: { EXECUTOR_REPLICAS: '2' } });
    second = await startService('executor', { ...stack.envOf('executor'), ...stack.spoolEnv() });
    clientB = new ExecutorClient({ address: `127.0.0.1:${second.port}` });
    const api = (key: string, limits: DeepPartial<Integration['limits']>, extra: DeepPartial<Integration> = {}) =>
      define({ key, urlTemplate: `${upstream.url}/${key}`, limits, ...extra });
    const definitions = [
      api('concurrent', { maxConcurrent: 5, maxQueueMs: 20_000 }, { timeouts: { totalMs: 25_000 } }),
      api('tight', { maxConcurrent: 1, maxQueueMs: 100 }),
      api('rate', { ratePerSecond: 10, maxQueueMs: 20_000 }, { timeouts: { totalMs: 25_000 } }),
      api('busy', { maxConcurrent: 5, maxQueueMs: 500 }),
      api('hung', { maxConcurrent: 2, maxQueueMs: 6_000 }, { timeouts: { totalMs: 4_000 } }),
    ];
    await register(stack, ...definitions);
    for (const d of definitions) {
      await waitFor(async () => {
        const r = await clientB.invoke({ orgId: stack.orgId, toolKey: d.key, argumentsJson: '{"__probe__":1}' });
        return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true;
      }, `the second executor to see ${d.key}`);
      await waitUntilKnown(stack, d.key);
    }
  }, 60_000);

  afterAll(async () => {
    for (const res of held) res.destroy();
    clientB?.close();
    await second?.stop();
    await stack?.stop();
    await upstream?.close();
  });

  const call = (replica: 0 | 1, toolKey: string, timeoutMs = 30_000) =>
    (replica === 0 ? stack.executorClient : clientB).invoke({ orgId: stack.orgId, toolKey, argumentsJson: '{}' }, timeoutMs);

  it('50 concurrent calls against max_concurrent 5 never put more than 5 on the upstream at once', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call(i % 2 === 0 ? 0 : 1, 'concurrent')));
    expect(answers.map((a) => outcomeName(a.outcome))).toEqual(Array(50).fill('OUTCOME_SUCCESS'));
    expect(arrivals.get('concurrent')).toHaveLength(50);
    expect(most.get('concurrent')).toBeLessThanOrEqual(5);
    // The limit was reached, not merely respected by a trickle.
    expect(most.get('concurrent')).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('answers OUTCOME_RATE_LIMITED with a sentence to say when the wait would pass max_queue_ms, sending nothing', async () => {
    const [first, second] = await Promise.all([call(0, 'tight'), (async () => (await sleep(100), call(1, 'tight')))()]);
    expect(outcomeName(first.outcome)).toBe('OUTCOME_SUCCESS');
    expect(second).toMatchObject({ outcome: Outcome.OUTCOME_RATE_LIMITED, reason: 'LIMIT_QUEUE_TIMEOUT', httpStatus: 0 });
    expect(second.agentMessage).toMatch(/busy/);
    expect(arrivals.get('tight')).toHaveLength(1);
  }, 30_000);

  it('keeps rate_per_second within ±10 % across both replicas', async () => {
    // 36 calls at 10 per second: one at once, 35 spaced over 3.5 s.
    const answers = await Promise.all(Array.from({ length: 36 }, (_, i) => call(i % 2 === 0 ? 0 : 1, 'rate')));
    expect(answers.every((a) => a.outcome === Outcome.OUTCOME_SUCCESS)).toBe(true);
    const times = arrivals.get('rate')!;
    expect(times).toHaveLength(36);
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    const rate = (times.length - 1) / seconds;
    expect(rate).toBeGreaterThanOrEqual(9);
    expect(rate).toBeLessThanOrEqual(11);
  }, 60_000);

  it('backs every replica off after a 429 with Retry-After', async () => {
    const first = await call(0, 'busy');
    expect(first).toMatchObject({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_429' });
    // The back-off is recorded as the run ends, just after the answer goes out.
    await sleep(100);
    const other = await call(1, 'busy');
    expect(other).toMatchObject({ outcome: Outcome.OUTCOME_RATE_LIMITED, reason: 'UPSTREAM_BACK_OFF' });
    expect(arrivals.get('busy')).toHaveLength(1);
  }, 30_000);

  it("gives a killed replica's slots back within their lease (the call's budget)", async () => {
    // The second replica takes both slots with calls the upstream never answers, then dies.
    const takenAt = performance.now();
    void call(1, 'hung').catch(() => undefined);
    void call(1, 'hung').catch(() => undefined);
    await waitFor(() => ((arrivals.get('hung')?.length ?? 0) >= 2 ? true : undefined), 'both hung calls to reach the upstream');
    await second.stop('SIGKILL');
    await sleep(1_000);
    const asked = performance.now();
    const answer = await call(0, 'hung');
    expect(outcomeName(answer.outcome)).toBe('OUTCOME_SUCCESS');
    const third = arrivals.get('hung')![2]!;
    // It waited for the dead replica's leases (4 s budget + 0.25 s grace from when they were taken)...
    expect(third - asked).toBeGreaterThan(1_000);
    // ...and got its turn once they ended, not later.
    expect(third - takenAt).toBeLessThan(4_250 + 1_500);
  }, 30_000);
});
