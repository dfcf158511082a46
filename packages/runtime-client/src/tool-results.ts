import { Outcome, SpeechMode, outcomeToJSON, type InvokeResponse } from '@switchboard/contracts';
import { LocalReason } from './local-outcomes.js';
import type { AnthropicToolResultBlock, OpenAIToolMessage } from './types.js';

/** Whether the action took place: the model must not claim a booking that may not exist. */
type Done = true | false | 'unknown';

/** What the model reads as the tool's result: a JSON object with the outcome and what to do next. */
export interface ToolResultContent {
  readonly content: string;
  /** True when the tool did not do what was asked (Anthropic `is_error`). */
  readonly isError: boolean;
}

function outcomeName(outcome: Outcome): string {
  return outcomeToJSON(outcome).replace(/^OUTCOME_/, '').toLowerCase();
}

function parseResult(resultJson: string): unknown {
  if (resultJson === '') return {};
  try {
    return JSON.parse(resultJson);
  } catch {
    return resultJson;
  }
}

function doneOf(response: InvokeResponse): Done {
  switch (response.outcome) {
    case Outcome.OUTCOME_SUCCESS:
    case Outcome.OUTCOME_ACCEPTED:
      return true;
    case Outcome.OUTCOME_TIMEOUT:
      return response.reason === LocalReason.TURN_BUDGET_EXHAUSTED ? false : 'unknown';
    case Outcome.OUTCOME_UPSTREAM_ERROR:
      // A 5xx may come after the API acted; a 4xx or an unreachable API means it did not.
      return response.httpStatus >= 500 ? 'unknown' : false;
    case Outcome.OUTCOME_INTERNAL:
      return response.reason === LocalReason.EXECUTOR_UNREACHABLE ? false : 'unknown';
    default:
      return false;
  }
}

function instructionFor(response: InvokeResponse): string {
  switch (response.outcome) {
    case Outcome.OUTCOME_SUCCESS:
    case Outcome.OUTCOME_ACCEPTED:
      // Ambient tools run behind the conversation (speech guidance SILENT): the caller never hears of them.
      return response.speech?.mode === SpeechMode.SPEECH_MODE_SILENT
        ? 'Done in the background. Do not mention it to the caller.'
        : 'Done. Tell the caller the result; the summary is a sentence you may say as it is.';
    case Outcome.OUTCOME_CONFIRMATION_REQUIRED:
      return (
        'Nothing has been done yet. Ask the caller exactly the question in ask_caller and wait for their answer. ' +
        'Only if they clearly agree, call this tool again with exactly the same arguments. ' +
        'If they decline or change anything, do not call it with these arguments.'
      );
    case Outcome.OUTCOME_INVALID_ARGUMENTS:
      return 'Nothing was done. Ask the caller for the details named in field_errors, then call this tool again with corrected arguments.';
    case Outcome.OUTCOME_VERIFICATION_REQUIRED:
      return "Nothing was done. The caller's identity must be verified before this tool can be used; tell them so.";
    case Outcome.OUTCOME_POLICY_BLOCKED:
      if (response.reason === 'CALLER_REQUEST_REQUIRED') {
        return 'Nothing was done. Use this tool only when the caller explicitly asks for it; you may offer it.';
      }
      if (response.reason.startsWith('TOKEN_')) {
        return 'Nothing was done: the confirmation was not accepted. Ask the caller again before doing it.';
      }
      return 'Nothing was done. Tell the caller with the sentence in say.';
    case Outcome.OUTCOME_CALL_STATE_MISSING:
      return 'Nothing was done. This tool needs a value an earlier lookup in this call provides: run the lookup named in say first, then call this tool again.';
    case Outcome.OUTCOME_VERIFICATION_LOCKED:
      return "Nothing was done. Too many verification attempts failed on this call: do not try to verify again or use tools that need it; tell the caller with the sentence in say.";
    case Outcome.OUTCOME_NOT_FOUND:
    case Outcome.OUTCOME_DISABLED:
      return 'Nothing was done: this tool is not available on this call. Do not call it again; offer another way to help.';
    default: {
      const done = doneOf(response);
      const head =
        done === 'unknown'
          ? 'It is not known whether this went through; do not tell the caller it did, and do not call it again right away.'
          : 'Nothing was done.';
      return `${head} Tell the caller with the sentence in say, and offer another way to help.`;
    }
  }
}

/**
 * What the model is told about one Invoke: the mapped result and summary on success, the question on
 * CONFIRMATION_REQUIRED, the offending fields on INVALID_ARGUMENTS, and otherwise the sentence the agent
 * may say with what to do next. Integrator details (`detail`) stay out: the model does not need them.
 */
export function toolResultContent(response: InvokeResponse): ToolResultContent {
  const outcome = outcomeName(response.outcome);
  const body: Record<string, unknown> = { outcome };
  const done = doneOf(response);
  body['done'] = done;
  if (done === true) {
    if (response.summary) body['summary'] = response.summary;
    body['result'] = parseResult(response.resultJson);
    if (response.resultTruncated) body['result_truncated'] = true;
    // What the call now knows for later tools, by name only: values (some personal) stay server-side.
    if (response.callState.length > 0) body['call_state'] = response.callState.map((e) => `${e.name}: set`);
  } else {
    if (response.reason && response.reason.toLowerCase() !== outcome) body['reason'] = response.reason;
    if (response.outcome === Outcome.OUTCOME_CONFIRMATION_REQUIRED) {
      body['ask_caller'] = response.confirmation?.prompt || response.agentMessage;
    } else if (response.agentMessage) {
      body['say'] = response.agentMessage;
    }
    if (response.fieldErrors.length > 0) body['field_errors'] = response.fieldErrors.map((f) => ({ field: f.field, message: f.message }));
  }
  body['instruction'] = instructionFor(response);
  const isError = done !== true && response.outcome !== Outcome.OUTCOME_CONFIRMATION_REQUIRED;
  return { content: JSON.stringify(body), isError };
}

/** The OpenAI Chat Completions message answering `tool_calls[i]` (`role: 'tool'`). */
export function toOpenAIToolMessage(toolCallId: string, response: InvokeResponse): OpenAIToolMessage {
  return { role: 'tool', tool_call_id: toolCallId, content: toolResultContent(response).content };
}

/** The Anthropic Messages `tool_result` block answering a `tool_use` block (goes in the next user message). */
export function toAnthropicToolResult(toolUseId: string, response: InvokeResponse): AnthropicToolResultBlock {
  const { content, isError } = toolResultContent(response);
  return isError ? { type: 'tool_result', tool_use_id: toolUseId, content, is_error: true } : { type: 'tool_result', tool_use_id: toolUseId, content };
}
