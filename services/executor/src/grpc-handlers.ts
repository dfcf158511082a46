import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type {
  AuditEvent,
  ExecutorServiceServer,
  InvokeRequest,
  InvokeResponse,
  TestRequest,
  TestResponse,
} from '@switchboard/contracts';
import { checkServiceToken, toServiceError } from '@switchboard/grpc-kit';
import type { Logger } from '@switchboard/logging';
import { SwitchboardError } from '@switchboard/errors';
import { ORG_ID_PATTERN } from '@switchboard/store';
import type { InvocationInput, Invoker } from './invoke.js';

export interface ExecutorHandlerDeps {
  readonly invoker: Invoker;
  readonly publishAudit: (event: AuditEvent) => void;
  /** Told of every finished invocation after its reply went out (metrics). */
  readonly onFinished?: (event: AuditEvent) => void;
  readonly logger: Logger;
  readonly serviceToken?: string | undefined;
  /** Counts calls in flight so shutdown can wait for them. */
  readonly inFlight: { count: number };
  readonly isDraining: () => boolean;
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : Infinity;
}

function requireScope(orgId: string, toolKey: string, draft: boolean): void {
  const problems = [];
  if (!ORG_ID_PATTERN.test(orgId)) problems.push({ field: 'org_id', message: 'must be 1-64 letters, digits, "_" or "-"' });
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
  const guard = (call: ServerUnaryCall<unknown, unknown>, callback: (err: { code: status; details: string }) => void): boolean => {
    if (deps.serviceToken !== undefined && !checkServiceToken(call.metadata, deps.serviceToken)) {
      callback({ code: status.UNAUTHENTICATED, details: 'missing or wrong service token' });
      return false;
    }
    if (deps.isDraining()) {
      callback({ code: status.UNAVAILABLE, details: 'executor is shutting down; retry on another replica' });
      return false;
    }
    return true;
  };

  // A call stays counted in flight until its audit event is queued, so a draining executor flushes it.
  const run = (input: InvocationInput) => {
    deps.inFlight.count++;
    return deps.invoker.run(input).catch((err: unknown) => {
      deps.inFlight.count--;
      throw err;
    });
  };

  /**
   * Encoding and queueing the audit event (and the metrics) wait for the next turn of the event loop,
   * after the reply's bytes were written: the caller hears the answer without waiting for the audit trail.
   */
  const afterReply = (audit: AuditEvent) => {
    setImmediate(() => {
      try {
        deps.publishAudit(audit);
        deps.onFinished?.(audit);
      } finally {
        deps.inFlight.count--;
      }
    });
  };

  return {
    invoke(call: ServerUnaryCall<InvokeRequest, InvokeResponse>, callback: sendUnaryData<InvokeResponse>) {
      if (!guard(call, callback)) return;
      const req = call.request;
      try {
        requireScope(req.orgId, req.toolKey, false);
      } catch (err) {
        callback(toServiceError(err));
        return;
      }
      run({
        orgId: req.orgId,
        toolKey: req.toolKey,
        callId: req.callId,
        argumentsJson: req.argumentsJson,
        context: req.context,
        test: false,
        deadline: deadlineOf(call),
        traceparent: traceparentOf(call),
      }).then(
        (result) => {
          try {
            callback(null, result.response);
          } finally {
            afterReply(result.audit);
          }
        },
        (err: unknown) => {
          deps.logger.error({ err }, 'invoke failed unexpectedly');
          callback(toServiceError(err));
        },
      );
    },

    test(call: ServerUnaryCall<TestRequest, TestResponse>, callback: sendUnaryData<TestResponse>) {
      if (!guard(call, callback)) return;
      const req = call.request;
      try {
        requireScope(req.orgId, req.toolKey, req.integration !== undefined);
      } catch (err) {
        callback(toServiceError(err));
        return;
      }
      run({
        orgId: req.orgId,
        toolKey: req.integration?.key ?? req.toolKey,
        callId: '',
        argumentsJson: req.argumentsJson,
        context: req.context,
        test: true,
        deadline: deadlineOf(call),
        draft: req.integration,
        traceparent: traceparentOf(call),
      }).then(
        (result) => {
          try {
            callback(null, {
              result: result.response,
              request: result.request,
              response: result.upstreamResponse,
              latency: result.latency,
              gateRequirement: result.gateRequirement,
            });
          } finally {
            afterReply(result.audit);
          }
        },
        (err: unknown) => {
          deps.logger.error({ err }, 'test failed unexpectedly');
          callback(toServiceError(err));
        },
      );
    },
  };
}
