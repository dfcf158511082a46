import { ORG_ID_PATTERN, ORG_ID_RULE } from '@switchboard/contracts';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type {
  AuditEvent,
  CallContext,
  EndCallRequest,
  EndCallResponse,
  ExecutorServiceServer,
  InvokeRequest,
  InvokeResponse,
  PrefetchAmbientRequest,
  PrefetchAmbientResponse,
  TestRequest,
  TestResponse,
} from '@switchboard/contracts';
import { UnaryHandlers, type CallerAuth, type CallGate } from '@switchboard/grpc-kit';
import type { Logger } from '@switchboard/logging';
import { SwitchboardError } from '@switchboard/errors';
import { SINGLE_SHARD, type ShardSpec } from '@switchboard/sharding';
import { callScopeProblems } from './call-scope.js';
import { requireOwnShard } from './shard-gate.js';
import type { InvocationResult, Invoker } from './invocation/index.js';
import { DEFAULT_PREFETCH_DEADLINE_MS, MAX_PREFETCH_DEADLINE_MS, prefetchAmbient, type AmbientPrefetchDeps } from './prefetch/ambient-prefetch.js';

export interface ExecutorHandlerDeps {
  readonly invoker: Invoker;
  /** PrefetchAmbient lists the org's definitions here; without it the RPC answers no lookups. */
  readonly definitions?: AmbientPrefetchDeps['definitions'] | undefined;
  readonly publishAudit: (event: AuditEvent) => void;
  /**
   * The event that completes a write-ahead intent: written to the audit spool before the reply goes
   * out, so a caller is never told an outcome the trail could lose to a kill.
   */
  readonly completeIntent?: ((event: AuditEvent) => Promise<void>) | undefined;
  /** Told of every finished invocation after its reply went out (metrics). */
  readonly onFinished?: (event: AuditEvent) => void;
  readonly logger: Logger;
  /** Who may call which method for which org. */
  readonly auth?: CallerAuth | undefined;
  /** Counts calls in flight (until their audit event is queued) and refuses new ones while draining. */
  readonly gate: CallGate;
  /** The orgs this executor serves; others are refused with WRONG_SHARD. Default: all. */
  readonly shard?: ShardSpec | undefined;
  /** EndCall deletes a call's state here; without it EndCall answers deleted=false. */
  readonly callState?: { end(orgId: string, callId: string): Promise<boolean> } | undefined;
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : Infinity;
}

function requireScope(orgId: string, toolKey: string, draft: boolean, callId: string, context: CallContext | undefined): void {
  const problems = callScopeProblems(callId, context);
  if (!ORG_ID_PATTERN.test(orgId)) problems.unshift({ field: 'org_id', message: ORG_ID_RULE });
  if (!draft && !toolKey) problems.push({ field: 'tool_key', message: 'is required' });
  if (problems.length > 0) {
    throw new SwitchboardError('INVALID_REQUEST', problems.map((p) => `${p.field} ${p.message}`).join('; '), { fieldErrors: problems });
  }
}

function traceparentOf(call: ServerUnaryCall<unknown, unknown>): string | undefined {
  const v = call.metadata.get('traceparent')[0];
  return typeof v === 'string' ? v : undefined;
}

/** Invoke and Test. The response goes out first, so a call never waits on (or fails because of) the audit trail. */
export function executorHandlers(deps: ExecutorHandlerDeps): ExecutorServiceServer {
  const h = new UnaryHandlers({ service: 'executor', logger: deps.logger, auth: deps.auth, gate: deps.gate });
  const shard = deps.shard ?? SINGLE_SHARD;

  /**
   * Encoding and queueing the audit event (and the metrics) wait for the next turn of the event loop,
   * after the reply's bytes were written: the caller hears the answer without waiting for the audit
   * trail. The call stays counted in flight until then, so a draining executor flushes its event.
   * The exception: a call with a write-ahead intent has its outcome written to the spool before the
   * reply (`complete`), so what the caller is told is on disk first.
   */
  const complete = async (result: InvocationResult): Promise<InvocationResult> => {
    if (result.intent && deps.completeIntent) await deps.completeIntent(result.audit);
    return result;
  };
  const afterReply = (result: InvocationResult) => {
    if (!(result.intent && deps.completeIntent)) deps.publishAudit(result.audit);
    deps.onFinished?.(result.audit);
  };

  return {
    invoke: h.method('Invoke', {
      run: async (req: InvokeRequest, call: ServerUnaryCall<InvokeRequest, InvokeResponse>) => {
        requireScope(req.orgId, req.toolKey, false, req.callId, req.context);
        requireOwnShard(shard, req.orgId);
        return complete(await deps.invoker.run({
          orgId: req.orgId,
          toolKey: req.toolKey,
          callId: req.callId,
          argumentsJson: req.argumentsJson,
          context: req.context,
          test: false,
          deadline: deadlineOf(call),
          traceparent: traceparentOf(call),
        }));
      },
      reply: (result) => result.response,
      afterReply,
    }),

    test: h.method('Test', {
      run: async (req: TestRequest, call: ServerUnaryCall<TestRequest, TestResponse>) => {
        requireScope(req.orgId, req.toolKey, req.integration !== undefined, '', req.context);
        requireOwnShard(shard, req.orgId);
        return complete(await deps.invoker.run({
          orgId: req.orgId,
          toolKey: req.integration?.key ?? req.toolKey,
          callId: '',
          argumentsJson: req.argumentsJson,
          context: req.context,
          test: true,
          deadline: deadlineOf(call),
          draft: req.integration,
          traceparent: traceparentOf(call),
        }));
      },
      reply: (result): TestResponse => ({
        result: result.response,
        request: result.request,
        response: result.upstreamResponse,
        latency: result.latency,
        gateRequirement: result.gateRequirement,
      }),
      afterReply,
    }),

    prefetchAmbient: h.unary('PrefetchAmbient', async (req: PrefetchAmbientRequest, call: ServerUnaryCall<PrefetchAmbientRequest, PrefetchAmbientResponse>) => {
      requireScope(req.orgId, '', true, req.callId, req.context);
      requireOwnShard(shard, req.orgId);
      const definitions = deps.definitions;
      if (definitions === undefined) return { lookups: [], lateToolKeys: [] };
      const wait = Math.min(req.deadlineMs || DEFAULT_PREFETCH_DEADLINE_MS, MAX_PREFETCH_DEADLINE_MS);
      // Answer a little before the runtime's own deadline, so the answer still reaches it.
      const deadline = Math.min(Date.now() + wait, deadlineOf(call) - 50);
      // Each lookup's audit event is published as it ends (late ones too); metrics as for Invoke.
      const publishAudit = (event: AuditEvent) => {
        deps.publishAudit(event);
        deps.onFinished?.(event);
      };
      return prefetchAmbient({ definitions, invoker: deps.invoker, publishAudit }, { orgId: req.orgId, callId: req.callId, context: req.context, deadline });
    }),

    endCall: h.unary('EndCall', async (req: EndCallRequest): Promise<EndCallResponse> => {
      requireScope(req.orgId, '', true, req.callId, undefined);
      requireOwnShard(shard, req.orgId);
      if (req.callId === '') throw new SwitchboardError('INVALID_CALL_ID', 'call_id is required', { fieldErrors: [{ field: 'call_id', message: 'is required' }] });
      return { deleted: (await deps.callState?.end(req.orgId, req.callId)) ?? false };
    }),
  };
}
