import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardRuntime } from '@switchboard/runtime-client';
import { BurdenLevel, ContextField, Outcome, ParameterLocation, ParameterType, type Integration } from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditOf, define, register, sleep, startExecutorStack, type DeepPartial } from './helpers.js';

const CALL = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const CALLER = '+14155550123';

/**
 * Issue 25's ambient prefetch: at call start every ambient integration the call context can fill runs
 * at once; the answer comes at the deadline with those that ended, each audited.
 */
describe('PrefetchAmbient', () => {
  let upstream: Upstream;
  let stack: Stack;
  let runtime: SwitchboardRuntime;

  beforeAll(async () => {
    upstream = await startUpstream(async (req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/slow') await sleep(3_000);
      if (path === '/failing') return json(res, 500, { error: 'down' });
      json(res, 200, { name: 'Ada Lovelace', caller: new URL(req.url, 'http://x').searchParams.get('phone') });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    const ambient = (key: string, extra: DeepPartial<Integration> = {}) =>
      define({
        key,
        urlTemplate: `${upstream.url}/${key}`,
        burden: { level: BurdenLevel.BURDEN_LEVEL_AMBIENT },
        contextValues: [{ name: 'phone', location: ParameterLocation.PARAMETER_LOCATION_QUERY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
        responseMapping: { fields: [{ name: 'name', expression: 'name' }], summaryTemplate: 'The caller is {{name}}.' },
        ...extra,
      });
    await register(
      stack,
      ambient('caller_profile'),
      ambient('slow', { timeouts: { totalMs: 5_000 } }),
      ambient('failing'),
      // Not prefetched: the model must say which patient; not ambient; needs a number the call lacks.
      ambient('needs_model', { parameters: [{ name: 'patient_id', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }] }),
      ambient('conversational', { burden: { level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL } }),
      ambient('needs_called', { contextValues: [{ name: 'to', location: ParameterLocation.PARAMETER_LOCATION_QUERY, source: ContextField.CONTEXT_FIELD_CALLED_NUMBER }] }),
    );
    runtime = new SwitchboardRuntime({
      orgId: stack.orgId,
      turnBudgetMs: 5_000,
      executor: { address: `127.0.0.1:${stack.executor.port}` },
      registry: { address: `127.0.0.1:${stack.registry.port}` },
    });
  }, 60_000);

  afterAll(async () => {
    runtime?.close();
    await stack?.stop();
    await upstream?.close();
  });

  it('returns the lookups that ended by the deadline (success and failure) and names the late one', async () => {
    const started = Date.now();
    const response = await stack.executorClient.prefetchAmbient({
      orgId: stack.orgId,
      callId: CALL,
      context: { callerNumber: CALLER, calledNumber: '', orgTimeZone: 'Europe/London', confirmationToken: '', callerRequest: undefined, verification: undefined },
      deadlineMs: 1_000,
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2_500);
    expect(response.lookups.map((l) => [l.toolKey, Outcome[l.result!.outcome]])).toEqual([
      ['caller_profile', 'OUTCOME_SUCCESS'],
      ['failing', 'OUTCOME_UPSTREAM_ERROR'],
    ]);
    expect(response.lateToolKeys).toEqual(['slow']);
    const profile = response.lookups[0]!.result!;
    expect(profile.summary).toBe('The caller is Ada Lovelace.');
    // The call context filled the context value.
    expect(upstream.requests.find((r) => r.url.startsWith('/caller_profile'))?.url).toContain(encodeURIComponent(CALLER));
    // Each lookup is audited as an Invoke of this call, the late one too once it ends.
    const audit = await auditOf(stack, profile.invocationId);
    expect(audit).toMatchObject({ callId: CALL, toolKey: 'caller_profile', outcome: Outcome.OUTCOME_SUCCESS });
    expect((await auditOf(stack, response.lookups[1]!.result!.invocationId)).outcome).toBe(Outcome.OUTCOME_UPSTREAM_ERROR);
    // None of the others went out.
    for (const key of ['needs_model', 'conversational', 'needs_called']) {
      expect(upstream.requests.some((r) => r.url.startsWith(`/${key}`))).toBe(false);
    }
  }, 30_000);

  it('gives the runtime what the agent knows at call start, ready for the system prompt', async () => {
    const knowledge = await runtime.prefetchAmbient({ callId: CALL, callerNumber: CALLER }, { deadlineMs: 800 });
    expect(knowledge.promptText).toBe('- caller_profile: The caller is Ada Lovelace.');
    expect(knowledge.failed).toEqual([{ toolKey: 'failing', outcome: 'OUTCOME_UPSTREAM_ERROR', reason: 'HTTP_500' }]);
    expect(knowledge.late).toEqual(['slow']);
  }, 30_000);
});
