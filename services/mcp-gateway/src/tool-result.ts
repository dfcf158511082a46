import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Outcome, outcomeToJSON, speechModeToJSON, type InvokeResponse } from '@switchboard/contracts';
import type { McpToolBurden } from '@switchboard/definition';
import { CONTEXT_META_KEY } from './call-context.js';
import { CONFIRMATION_ARGUMENT } from './confirmation-argument.js';
import { retryAdviceOf } from './retry-advice.js';

/** What the agent should do next, in `structuredContent.status`. */
export type ToolCallStatus = 'ok' | 'accepted' | 'confirmation_required' | 'verification_required' | 'declined' | 'failed';

const FALLBACK_SENTENCE = "I'm sorry, I couldn't complete that just now.";

/**
 * The executor's sentence for a confirmed tool without a call id promises a retry ("Let me try again in
 * a moment") that cannot help: nothing changes the connection's missing call id.
 */
const CALL_ID_SENTENCE = "I'm sorry, I can't do that from here.";

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

/** MCP: a tool that returns structured content should also return it serialized, for hosts that read only text. */
function result(sentences: readonly string[], structured: Record<string, unknown>, isError: boolean): CallToolResult {
  return { content: [...sentences.filter((s) => s !== '').map(text), text(JSON.stringify(structured))], structuredContent: structured, isError };
}

function success(r: InvokeResponse): CallToolResult {
  const structured: Record<string, unknown> = { ...common('ok', r), result: parseResult(r.resultJson), resultTruncated: r.resultTruncated, httpStatus: r.httpStatus };
  if (r.summary !== '') structured['summary'] = r.summary;
  if (r.speech) {
    structured['speech'] = {
      mode: speechModeToJSON(r.speech.mode),
      startPhrase: r.speech.startPhrase,
      delayPhrase: r.speech.delayPhrase,
      delayAfterMs: r.speech.delayAfterMs,
    };
  }
  return result([r.summary], structured, false);
}

function accepted(r: InvokeResponse): CallToolResult {
  const sentence = r.summary || r.agentMessage || 'The request was accepted and will be carried out shortly.';
  return result([sentence], { ...common('accepted', r), summary: sentence }, false);
}

/**
 * Confirmation needed: the text tells the model what to ask and exactly how to call again. The token
 * is in the text too, because a stock host's model can only hand it back as an argument; it is no
 * secret: the executor accepts it once, for this org, call, tool and these argument values only.
 */
function confirmationRequired(toolKey: string, r: InvokeResponse): CallToolResult {
  const prompt = r.confirmation?.prompt ?? '';
  const token = r.confirmation?.token ?? '';
  const expiresMs = Number(r.confirmation?.expiresAtUnixMs ?? 0);
  const expiresAt = expiresMs > 0 ? new Date(expiresMs).toISOString() : undefined;
  const instruction =
    `Not done yet: the caller must confirm first. Ask the caller: "${prompt}" ` +
    `Only if they clearly agree, call ${toolKey} again with exactly the same arguments plus "${CONFIRMATION_ARGUMENT}": "${token}". ` +
    'If they decline, do not call it again. If anything changes, call it with the new arguments and no ' +
    `${CONFIRMATION_ARGUMENT}, and ask again. The token works once${expiresAt === undefined ? '' : ` and only until ${expiresAt}`}.`;
  const structured: Record<string, unknown> = {
    ...common('confirmation_required', r),
    prompt,
    confirmationToken: token,
    instruction,
    // The two ways back: an argument (any MCP host) or the call context (a runtime that sets _meta).
    confirmWith: { argument: CONFIRMATION_ARGUMENT, meta: `_meta["${CONTEXT_META_KEY}"].confirmationToken` },
  };
  if (expiresAt !== undefined) structured['expiresAt'] = expiresAt;
  return result([instruction], structured, false);
}

/** The caller answered the confirmation question (asked through elicitation) with no, or not at all. */
export function declinedResult(toolKey: string, r: InvokeResponse, answer: 'decline' | 'cancel'): CallToolResult {
  const instruction =
    answer === 'decline'
      ? `Not done: the caller declined when asked "${r.confirmation?.prompt ?? ''}". Do not call ${toolKey} again unless they ask for it.`
      : `Not done: the confirmation question was dismissed without an answer. Call ${toolKey} again only if the caller still wants it.`;
  return result([instruction], { ...common('declined', r), answer, instruction }, false);
}

function verificationRequired(toolKey: string, r: InvokeResponse, burden: McpToolBurden | undefined): CallToolResult {
  const agentMessage = r.agentMessage || 'I need to verify your identity first.';
  const methods = burden?.verificationMethods ?? [];
  const accepted = methods.length > 0 ? `one of: ${methods.join(', ')}` : 'any method the call runtime supports';
  const given = r.reason === 'VERIFICATION_METHOD_NOT_ACCEPTED' ? 'The verification this call carries is not one this tool accepts. ' : '';
  const instruction =
    `Not done: ${toolKey} runs only for a caller whose identity has been verified (${accepted}). ${given}` +
    'Verification is not an argument: the call runtime that verified the caller passes it, as ' +
    `_meta["${CONTEXT_META_KEY}"].verification = { "method": "<method>", "reference": "<its reference>" } or the ` +
    'X-Switchboard-Verification-Method and X-Switchboard-Verification-Reference headers. Calling again without it will not help; ' +
    'tell the caller their identity must be verified first.';
  const structured: Record<string, unknown> = { ...common('verification_required', r), agentMessage, retryable: false, acceptedVerificationMethods: methods, instruction };
  return result([agentMessage, instruction], structured, false);
}

function failure(r: InvokeResponse): CallToolResult {
  const agentMessage = r.reason === 'CALL_ID_REQUIRED' ? CALL_ID_SENTENCE : r.agentMessage || FALLBACK_SENTENCE;
  const { retryable, advice } = retryAdviceOf(r);
  const structured: Record<string, unknown> = { ...common('failed', r), agentMessage, retryable, advice };
  if (r.httpStatus !== 0) structured['httpStatus'] = r.httpStatus;
  if (r.fieldErrors.length > 0) structured['fieldErrors'] = r.fieldErrors.map((f) => ({ field: f.field, message: f.message }));
  return result([agentMessage, advice], structured, true);
}

/**
 * An executor outcome as an MCP tool result. Gate needs the agent can act on (confirm, verify) are
 * results with isError false and a `status` saying what to do; failures are isError true with the
 * sentence the agent can say and whether calling again can help. The executor's `detail` (for
 * integrators) never goes to the model. `burden` is the tool's gate as listed, to name what it accepts.
 */
export function toolResultOf(toolKey: string, r: InvokeResponse, burden?: McpToolBurden): CallToolResult {
  switch (r.outcome) {
    case Outcome.OUTCOME_SUCCESS:
      return success(r);
    case Outcome.OUTCOME_ACCEPTED:
      return accepted(r);
    case Outcome.OUTCOME_CONFIRMATION_REQUIRED:
      return confirmationRequired(toolKey, r);
    case Outcome.OUTCOME_VERIFICATION_REQUIRED:
      return verificationRequired(toolKey, r, burden);
    default:
      return failure(r);
  }
}

/** A tools/call that could not reach an outcome (executor down, gateway misconfigured). */
export function unavailableResult(reason: string): CallToolResult {
  const advice = 'Nothing was done. This may work if called again in a little while.';
  return result([FALLBACK_SENTENCE, advice], { status: 'failed', outcome: 'OUTCOME_UNSPECIFIED', reason, agentMessage: FALLBACK_SENTENCE, retryable: true, advice }, true);
}
