import { fromServiceError } from '@switchboard/client';
import type { InvokeRequest, InvokeResponse } from '@switchboard/contracts';
import type { ToolCallContext } from './call-context.js';

/** The part of ExecutorClient the gateway needs. */
export interface ToolInvoker {
  invoke(request: Partial<InvokeRequest> & Pick<InvokeRequest, 'orgId' | 'toolKey'>, timeoutMs?: number): Promise<InvokeResponse>;
  /** Deletes a call's state in the executor (a session's own call id, when the session closes). */
  endCall?(orgId: string, callId: string, timeoutMs?: number): Promise<unknown>;
}

export interface ToolCall {
  readonly orgId: string;
  readonly toolKey: string;
  readonly args: Record<string, unknown>;
  readonly call: ToolCallContext;
}

/**
 * Runs one tools/call through the executor's Invoke: the same path a phone call takes, so every
 * gate, header, breaker and audit event applies. Invocation outcomes (failures included) come back
 * as the response; only transport-level failures throw, as SwitchboardErrors.
 */
export async function invokeTool(executor: ToolInvoker, call: ToolCall, timeoutMs: number): Promise<InvokeResponse> {
  try {
    return await executor.invoke(
      { orgId: call.orgId, toolKey: call.toolKey, callId: call.call.callId, argumentsJson: JSON.stringify(call.args), context: call.call.context },
      timeoutMs,
    );
  } catch (err) {
    throw fromServiceError(err, 'executor');
  }
}
