import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ParameterLocation as In, ParameterType } from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { define, invoke, outcomeName, register, startExecutorStack } from './helpers.js';

async function grpcCode(call: Promise<unknown>): Promise<status | 'OK'> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    return (err as ServiceError).code;
  }
}

/** Issue 17, items 2 and 8: hostile input gets a typed answer, and no pattern stalls the executor. */
describe('hostile input to Invoke', () => {
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => json(res, 200, { ok: true }));
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });
    const text = (name: string, extra: object = {}) => ({ name, type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY, ...extra });
    await register(
      stack,
      // The pattern that took the event loop for about 2 s per call with JavaScript's regex engine; RE2 takes it.
      define({ key: 'evil_pattern', urlTemplate: `${upstream.url}/evil`, parameters: [text('code', { pattern: '^(a+)+$' })] }),
      define({ key: 'plain', urlTemplate: `${upstream.url}/plain`, parameters: [text('q')] }),
      define({
        key: 'takes_object',
        urlTemplate: `${upstream.url}/obj`,
        parameters: [{ name: 'note', type: ParameterType.PARAMETER_TYPE_ARRAY, location: In.PARAMETER_LOCATION_QUERY }],
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('a catastrophic pattern answers at once and does not hold up other calls', async () => {
    const hostile = `${'a'.repeat(29)}!`;
    const started = Date.now();
    const [evil, others] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => invoke(stack, 'evil_pattern', { code: hostile }))),
      Promise.all(Array.from({ length: 5 }, (_, n) => invoke(stack, 'plain', { q: String(n) }))),
    ]);
    // Five such calls took over 10 s of event-loop time before; a loaded machine still answers well within the budget.
    expect(Date.now() - started).toBeLessThan(3_000);
    for (const r of evil) {
      expect(outcomeName(r.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
      expect(r.detail).toContain('code must match the pattern ^(a+)+$');
    }
    for (const r of others) expect(outcomeName(r.outcome), r.detail).toBe('OUTCOME_SUCCESS');
    expect(outcomeName((await invoke(stack, 'evil_pattern', { code: 'aaaa' })).outcome)).toBe('OUTCOME_SUCCESS');
  });

  it('arguments nested 10,000 deep are INVALID_ARGUMENTS, not INTERNAL', async () => {
    for (const nested of [`${'['.repeat(10_000)}${']'.repeat(10_000)}`, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`]) {
      const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'takes_object', argumentsJson: `{"note":${nested}}` });
      expect(outcomeName(r.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
      expect(r.reason).toBe('INVALID_ARGUMENTS');
      expect(r.detail).toContain('nested more than 32 levels deep');
    }
    expect(upstream.requests.filter((q) => q.url.startsWith('/obj'))).toHaveLength(0);
  });

  it('a call_id over the limit (8 KB and more) is INVALID_ARGUMENT, as is one that cannot go in a header', async () => {
    for (const callId of ['c'.repeat(9 * 1024), 'c'.repeat(257), 'call-1\r\nX-Admin: 1']) {
      expect(await grpcCode(invoke(stack, 'plain', { q: 'x' }, { callId }))).toBe(status.INVALID_ARGUMENT);
    }
    const bound = await invoke(stack, 'plain', { q: 'x' }, { callId: 'CA0123456789abcdef0123456789abcdef' });
    expect(outcomeName(bound.outcome), bound.detail).toBe('OUTCOME_SUCCESS');
  });
});
