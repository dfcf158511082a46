import { cacheOf } from '@switchboard/definition';
import type { After, InvocationContext, InvocationDeps, Step, StepResult } from '../types.js';
import { NOTHING } from './end.js';

/**
 * cache, after the gate (a cached answer never skips a confirmation or a verification): a GET with a
 * `cache` policy is answered from the cache when the same tool was asked the same arguments (in the
 * same call, for scope call) under the same definition revision; the run ends SUCCESS with nothing
 * sent, and its audit event says cache_hit. A miss goes on, and its mapped result is stored when the
 * run succeeds (fillCache). Test never uses the cache.
 */
export const cache: Step = {
  name: 'cache',
  // Synchronous for an integration without a cache: no promise, no Redis round trip.
  run(ctx: After<'integration' | 'revision' | 'values'>, deps: InvocationDeps): StepResult | Promise<StepResult> {
    const policy = deps.cache === undefined || !ctx.mode.usesCache ? undefined : cacheOf(ctx.integration);
    if (policy === undefined || deps.cache === undefined) return NOTHING;
    const callId = ctx.input.callId;
    // Scope call without a call id: nothing to bind the entry to.
    if (policy.scope === 'call' && callId === '') return NOTHING;
    const cacheKey = deps.cache.keyOf({
      orgId: ctx.input.orgId,
      toolKey: ctx.integration.key,
      revision: ctx.revision,
      values: ctx.values,
      callId: policy.scope === 'call' ? callId : undefined,
    });
    return deps.cache.get(cacheKey).then((mapped): StepResult => (mapped === undefined ? { cacheKey } : { cacheHit: true, end: { kind: 'success', mapped } }));
  },
};

/** A successful run that missed the cache stores its mapped result. */
export function fillCache(ctx: InvocationContext, deps: InvocationDeps): void {
  const { cacheKey, end, integration } = ctx;
  if (cacheKey === undefined || end?.kind !== 'success' || integration === undefined) return;
  const policy = cacheOf(integration);
  if (policy !== undefined) deps.cache?.set(cacheKey, end.mapped, policy);
}
