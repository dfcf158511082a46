import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Outcome, outcomeToJSON, speechModeToJSON, type InvokeResponse } from '@switchboard/contracts';
import { CONTEXT_META_KEY } from './call-context.js';

/** What the agent should do next, in `structuredContent.status`. */
export type ToolCallStatus = 'ok' | 'accepted' | 'confirmation_required' | 'verification_required' | 'failed';

const FALLBACK_SENTENCE = "I'm sorry, I couldn't complete that just now.";

function parseResult(json: string): unknown {
  if (json === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return {};
  }
}

function common(status: ToolCallStatus, r: InvokeResponse): Record<string, unknown> {
  const out: Record<string, unknown> = { status, outcome: outcomeToJSON(r.outcome), invocationId: r.invocationId };
  if (r.reason !== '') out['reason'] = r.reason;
  return out;
}

function text(value: string): { type: 'text'; text: string } {
  return { type: 'text', text: value };
}

function success(r: InvokeResponse): CallToolResult {
  const result = parseResult(r.resultJson);
  const structured = { ...common('ok', r), result, resultTruncated: r.resultTruncated, httpStatus: r.httpStatus } as Record<string, unknown>;
  if (r.summary !== '') structured['summary'] = r.summary;
  if (r.speech) {
    structured['speech'] = {
      mode: speechModeToJSON(r.speech.mode),
      startPhrase: r.speech.startPhrase,
      delayPhrase: r.speech.delayPhrase,
      delayAfterMs: r.speech.delayAfterMs,
    };
  }
  const content = r.summary !== '' ? [text(r.summary), text(JSON.stringify(result))] : [text(JSON.stringify(result))];
  return { content, structuredContent: structured, isError: false };
}

function accepted(r: InvokeResponse): CallToolResult {
  const sentence = r.summary || r.agentMessage || 'The request was accepted and will be carried out shortly.';
  return { content: [text(sentence)], structuredContent: { ...common('accepted', r), summary: sentence }, isError: false };
}

function confirmationRequired(toolKey: string, r: InvokeResponse): CallToolResult {
  const prompt = r.confirmation?.prompt ?? '';
  const expiresMs = Number(r.confirmation?.expiresAtUnixMs ?? 0);
  const instruction =
    `Not done yet: the caller must confirm first. Ask the caller: "${prompt}" Only if they clearly agree, call ${toolKey} again ` +
    `with exactly the same arguments and with structuredContent.confirmationToken as _meta["${CONTEXT_META_KEY}"].confirmationToken. ` +
    'If anything changes, call it with the new arguments and confirm again.';
  return {
    // The token stays out of the text: the runtime, which sets _meta, reads it from structuredContent.
    content: [text(instruction)],
    structuredContent: {
      ...common('confirmation_required', r),
      prompt,
      confirmationToken: r.confirmation?.token ?? '',
      expiresAt: expiresMs > 0 ? new Date(expiresMs).toISOString() : undefined,
      instruction,
    },
    isError: false,
  };
}

function verificationRequired(toolKey: string, r: InvokeResponse): CallToolResult {
  const agentMessage = r.agentMessage || 'I need to verify your identity first.';
  const instruction =
    `Not done: ${toolKey} needs a verified caller. Verify the caller's identity first, then call it again with ` +
    `_meta["${CONTEXT_META_KEY}"].verification = { method, reference } (or the X-Switchboard-Verification-Method header).`;
  return {
    content: [text(agentMessage), text(instruction)],
    structuredContent: { ...common('verification_required', r), agentMessage, instruction },
    isError: false,
  };
}

function failure(r: InvokeResponse): CallToolResult {
  const agentMessage = r.agentMessage || FALLBACK_SENTENCE;
  const structured: Record<string, unknown> = { ...common('failed', r), agentMessage };
  if (r.httpStatus !== 0) structured['httpStatus'] = r.httpStatus;
  if (r.fieldErrors.length > 0) structured['fieldErrors'] = r.fieldErrors.map((f) => ({ field: f.field, message: f.message }));
  return { content: [text(agentMessage)], structuredContent: structured, isError: true };
}

/**
 * An executor outcome as an MCP tool result. Gate needs the agent can act on (confirm, verify) are
 * results with isError false and a `status` saying what to do; failures are isError true with the
 * sentence the agent can say. The executor's `detail` (for integrators) never goes to the model.
 */
export function toolResultOf(toolKey: string, r: InvokeResponse): CallToolResult {
  switch (r.outcome) {
    case Outcome.OUTCOME_SUCCESS:
      return success(r);
    case Outcome.OUTCOME_ACCEPTED:
      return accepted(r);
    case Outcome.OUTCOME_CONFIRMATION_REQUIRED:
      return confirmationRequired(toolKey, r);
    case Outcome.OUTCOME_VERIFICATION_REQUIRED:
      return verificationRequired(toolKey, r);
    default:
      return failure(r);
  }
}

/** A tools/call that could not reach an outcome (executor down, gateway misconfigured). */
export function unavailableResult(reason: string): CallToolResult {
  return {
    content: [text(FALLBACK_SENTENCE)],
    structuredContent: { status: 'failed', outcome: 'OUTCOME_UNSPECIFIED', reason, agentMessage: FALLBACK_SENTENCE },
    isError: true,
  };
}
