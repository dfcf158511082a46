import { BurdenLevel, ContextField, type AuditEvent, type CallContext, type Integration, type PrefetchAmbientResponse, type PrefetchedLookup } from '@switchboard/contracts';
import { burdenLevelOf, isAsyncDelivery } from '@switchboard/definition';
import type { CachedDefinition } from '../definition-cache.js';
import type { InvocationInput, InvocationResult } from '../invocation/index.js';

/** How long a prefetch waits when the runtime names no deadline, and the most it may name. */
export const DEFAULT_PREFETCH_DEADLINE_MS = 1_500;
export const MAX_PREFETCH_DEADLINE_MS = 10_000;

export interface PrefetchRequest {
  readonly orgId: string;
  readonly callId: string;
  readonly context: CallContext | undefined;
  /** Absolute time (ms since epoch) after which the answer goes out with what has ended. */
  readonly deadline: number;
}

export interface AmbientPrefetchDeps {
  readonly definitions: { ofOrg(orgId: string): Iterable<CachedDefinition> };
  readonly invoker: { run(input: InvocationInput): Promise<InvocationResult> };
  readonly publishAudit: (event: AuditEvent) => void;
}

/** Whether the call context holds what a context value reads (the org id is always known). */
function known(source: ContextField, callId: string, context: CallContext | undefined): boolean {
  switch (source) {
    case ContextField.CONTEXT_FIELD_CALL_ID:
      return callId !== '';
    case ContextField.CONTEXT_FIELD_CALLER_NUMBER:
      return (context?.callerNumber ?? '') !== '';
    case ContextField.CONTEXT_FIELD_CALLED_NUMBER:
      return (context?.calledNumber ?? '') !== '';
    case ContextField.CONTEXT_FIELD_ORG_TIME_ZONE:
      return (context?.orgTimeZone ?? '') !== '';
    case ContextField.CONTEXT_FIELD_ORG_ID:
      return true;
    default:
      return false;
  }
}

/**
 * An integration the agent may use at call start with nothing from the model: enabled, ambient, sync,
 * no required parameter without a default, and every context value (caller number, called number,
 * time zone, call id) present in this call's context. Fixed values need nothing.
 */
export function isPrefetchable(integration: Integration, callId: string, context: CallContext | undefined): boolean {
  if (!integration.enabled || isAsyncDelivery(integration)) return false;
  let level: BurdenLevel;
  try {
    level = burdenLevelOf(integration);
  } catch {
    return false;
  }
  if (level !== BurdenLevel.BURDEN_LEVEL_AMBIENT) return false;
  if (integration.parameters.some((p) => p.required && p.defaultValue === undefined)) return false;
  return integration.contextValues.every((c) => known(c.source, callId, context));
}

/**
 * Runs every prefetchable integration of the org in parallel as a live Invoke (gates, limits, cache,
 * audit) and answers at the deadline, or as soon as all have ended, with those that ended; the rest
 * are named late and still end within their own budget, and are audited.
 */
export async function prefetchAmbient(deps: AmbientPrefetchDeps, request: PrefetchRequest): Promise<PrefetchAmbientResponse> {
  const keys = [...deps.definitions.ofOrg(request.orgId)]
    .filter((d) => isPrefetchable(d.integration, request.callId, request.context))
    .map((d) => d.integration.key)
    .sort();
  const ended = new Map<string, PrefetchedLookup>();
  const runs = keys.map((toolKey) =>
    deps.invoker
      // Each runs within its own budget (timeouts.total_ms), not the prefetch's deadline: one that ends
      // late is still a real answer, audited (and cached, with `cache`) for when the model asks.
      .run({ orgId: request.orgId, toolKey, callId: request.callId, argumentsJson: '{}', context: request.context, test: false, deadline: Infinity })
      .then((result) => {
        ended.set(toolKey, { toolKey, result: result.response });
        deps.publishAudit(result.audit);
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, request.deadline - Date.now()));
  });
  await Promise.race([Promise.allSettled(runs), deadline]);
  clearTimeout(timer);
  return {
    lookups: keys.flatMap((k) => ended.get(k) ?? []),
    lateToolKeys: keys.filter((k) => !ended.has(k)),
  };
}
