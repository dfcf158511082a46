import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMethod, ParameterLocation as In, ParameterType, type Integration } from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type RecordedUpstreamRequest, type Upstream } from '../support/upstream.js';
import { auditOf, define, invoke, outcomeName, register, sleep, startExecutorStack, type DeepPartial } from './helpers.js';

// Long enough that a probe's invoke and the next call both fit inside one reset period on a loaded
// machine (the breaker must still be open for that next call); each test waits it out twice at most.
const RESET_MS = 1_500;

/**
 * The per-integration circuit breaker (thresholds from the definition) and the retry policy, against
 * a loopback upstream whose answers each test scripts per path.
 */
describe('circuit breaker and retries, end to end', () => {
  let upstream: Upstream;
  let stack: Stack;
  /** Status codes to answer per path, in order; the last one repeats. */
  const script = new Map<string, number[]>();

  function answer(path: string, ...statuses: number[]): void {
    script.set(path, statuses);
  }

  function requestsTo(path: string): RecordedUpstreamRequest[] {
    return upstream.requests.filter((r) => r.url.split('?')[0] === path);
  }

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const path = req.url.split('?')[0]!;
      const queue = script.get(path) ?? [200];
      const status = queue.length > 1 ? queue.shift()! : queue[0]!;
      json(res, status, status < 300 ? { ok: true, path } : { error: `scripted ${status}` });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });
    const api = (key: string, extra: DeepPartial<Integration> = {}) =>
      define({
        key,
        urlTemplate: `${upstream.url}/${key}`,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY }],
        ...extra,
      });
    const breaker = { errorThresholdPercent: 50, volumeThreshold: 4, resetTimeoutMs: RESET_MS, rollingWindowMs: 10_000, disabled: false };
    await register(
      stack,
      api('flaky', { breaker }),
      api('picky', { breaker: { ...breaker, volumeThreshold: 2 } }),
      api('tested', { breaker }),
      api('get_retry', { retry: { maxAttempts: 3, baseDelayMs: 20, idempotencyKeyHeader: '' } }),
      api('get_retry_slow', { retry: { maxAttempts: 3, baseDelayMs: 5_000, idempotencyKeyHeader: '' }, timeouts: { totalMs: 400, connectMs: 0 } }),
      api('post_once', {
        method: HttpMethod.HTTP_METHOD_POST,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY }],
      }),
      api('post_keyed', {
        method: HttpMethod.HTTP_METHOD_POST,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY }],
        retry: { maxAttempts: 3, baseDelayMs: 20, idempotencyKeyHeader: 'Idempotency-Key' },
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('opens after the volume threshold of 5xx answers, fails fast without reaching the upstream, and recovers through half-open', async () => {
    answer('/flaky', 500);
    for (let i = 0; i < 4; i++) {
      const res = await invoke(stack, 'flaky', { q: String(i) });
      expect(outcomeName(res.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
      expect(res.reason).toBe('HTTP_500');
    }
    expect(requestsTo('/flaky')).toHaveLength(4);

    const started = performance.now();
    const open = await invoke(stack, 'flaky', { q: 'open' });
    const elapsed = performance.now() - started;
    expect(outcomeName(open.outcome)).toBe('OUTCOME_CIRCUIT_OPEN');
    expect(open.reason).toBe('CIRCUIT_OPEN');
    expect(open.agentMessage).toMatch(/^That system isn't responding right now/);
    // Failing fast is proven by the unchanged upstream count below; these bounds only rule out waiting on
    // the upstream or a timeout, with room for a stalled event loop on a loaded 2-core machine.
    expect(open.latencyMs).toBeLessThan(200);
    expect(elapsed).toBeLessThan(1_000);
    expect(requestsTo('/flaky')).toHaveLength(4);
    expect((await auditOf(stack, open.invocationId)).breakerState).toBe('open');

    // A failed probe after the reset timeout opens it again at once.
    await sleep(RESET_MS + 100);
    const probe = await invoke(stack, 'flaky', { q: 'probe-1' });
    expect(outcomeName(probe.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(requestsTo('/flaky')).toHaveLength(5);
    expect(outcomeName((await invoke(stack, 'flaky', { q: 'x' })).outcome)).toBe('OUTCOME_CIRCUIT_OPEN');
    expect(requestsTo('/flaky')).toHaveLength(5);

    // The upstream recovers: the next probe succeeds and closes the breaker.
    answer('/flaky', 200);
    await sleep(RESET_MS + 100);
    const recovered = await invoke(stack, 'flaky', { q: 'probe-2' });
    expect(outcomeName(recovered.outcome), recovered.detail).toBe('OUTCOME_SUCCESS');
    const again = await Promise.all([1, 2, 3].map((i) => invoke(stack, 'flaky', { q: `after-${i}` })));
    expect(again.map((r) => outcomeName(r.outcome))).toEqual(['OUTCOME_SUCCESS', 'OUTCOME_SUCCESS', 'OUTCOME_SUCCESS']);
    expect(requestsTo('/flaky')).toHaveLength(9);
    expect((await auditOf(stack, again[2]!.invocationId)).breakerState).toBe('closed');
  });

  it('never opens on 4xx answers: they are the caller’s problem, not the upstream’s', async () => {
    answer('/picky', 404);
    for (let i = 0; i < 8; i++) {
      const res = await invoke(stack, 'picky', { q: String(i) });
      expect(outcomeName(res.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
      expect(res.reason).toBe('HTTP_404');
    }
    expect(requestsTo('/picky')).toHaveLength(8);
  });

  it('Test does not count toward the breaker, and is not stopped by an open one', async () => {
    answer('/tested', 500);
    for (let i = 0; i < 6; i++) {
      const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'tested', argumentsJson: JSON.stringify({ q: `t${i}` }) });
      expect(res.result?.reason).toBe('HTTP_500');
    }
    const live = await invoke(stack, 'tested', { q: 'live' });
    expect(outcomeName(live.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(requestsTo('/tested')).toHaveLength(7);

    // Open it with live calls: Test still reaches the upstream, so the integrator can see what is wrong.
    for (let i = 0; i < 4; i++) await invoke(stack, 'tested', { q: `live-${i}` });
    expect(outcomeName((await invoke(stack, 'tested', { q: 'open' })).outcome)).toBe('OUTCOME_CIRCUIT_OPEN');
    const before = requestsTo('/tested').length;
    const test = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'tested', argumentsJson: '{"q":"while-open"}' });
    expect(test.result?.reason).toBe('HTTP_500');
    expect(test.response?.status).toBe(500);
    expect(requestsTo('/tested')).toHaveLength(before + 1);
  });

  it('retries an idempotent GET on 503 up to retry.max_attempts', async () => {
    answer('/get_retry', 503, 503, 200);
    const res = await invoke(stack, 'get_retry', { q: 'r' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(requestsTo('/get_retry')).toHaveLength(3);
    expect((await auditOf(stack, res.invocationId)).retries).toBe(2);

    answer('/get_retry', 503);
    const exhausted = await invoke(stack, 'get_retry', { q: 'r' });
    expect(outcomeName(exhausted.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(exhausted.reason).toBe('HTTP_503');
    expect(requestsTo('/get_retry')).toHaveLength(6);
  });

  it('keeps retries inside the deadline: no back-off sleep beyond the budget', async () => {
    answer('/get_retry_slow', 503);
    const started = performance.now();
    const res = await invoke(stack, 'get_retry_slow', { q: 'r' });
    // The back-off it must not sleep is 5 s; 2 s leaves a loaded machine room and still proves that.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(outcomeName(res.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(res.reason).toBe('HTTP_503');
  });

  it('never retries a POST without an idempotency key', async () => {
    answer('/post_once', 503);
    const res = await invoke(stack, 'post_once', { q: 'p' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(res.reason).toBe('HTTP_503');
    expect(requestsTo('/post_once')).toHaveLength(1);
    // Nor will the registry store a POST that asks for retries without a key.
    await expect(
      stack.registryClient.create(
        define({
          key: 'post_retry_unkeyed',
          method: HttpMethod.HTTP_METHOD_POST,
          urlTemplate: `${upstream.url}/post_retry_unkeyed`,
          retry: { maxAttempts: 3, baseDelayMs: 20, idempotencyKeyHeader: '' },
        }),
      ),
    ).rejects.toThrow(/retry\.max_attempts.*idempotency_key_header/);
  });

  it('retries a POST with retry.idempotency_key_header, the header carrying one stable key', async () => {
    answer('/post_keyed', 503, 502, 201);
    const res = await invoke(stack, 'post_keyed', { q: 'p' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    const sent = requestsTo('/post_keyed');
    expect(sent).toHaveLength(3);
    const keys = sent.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(sent.map((r) => r.body)).toEqual(Array(3).fill('{"q":"p"}'));

    // Another invocation is another operation: a new key.
    answer('/post_keyed', 201);
    await invoke(stack, 'post_keyed', { q: 'p' });
    expect(requestsTo('/post_keyed').at(-1)!.headers['idempotency-key']).not.toBe(keys[0]);

    // Test shows the key among the headers that were sent.
    const test = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'post_keyed', argumentsJson: '{"q":"t"}' });
    expect(test.request?.headers).toContainEqual({ name: 'idempotency-key', value: test.result!.invocationId });
    expect(requestsTo('/post_keyed').at(-1)!.headers['idempotency-key']).toBe(test.result!.invocationId);
  });
});
