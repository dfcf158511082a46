import { Outcome, type InvokeResponse } from '@switchboard/contracts';
import { LocalReason } from './local-outcomes.js';
import { speechFor } from './speech.js';
import type { SpeechPlan } from './types.js';

/** What the agent does next after one Invoke, for a runtime that drives speech itself. */
export type NextAction =
  /** The tool ran (or was queued): say `say` (the summary; empty when there is nothing to add). */
  | { readonly kind: 'say_result'; readonly say: string; readonly result: unknown; readonly speech: SpeechPlan }
  /** An ambient tool: say nothing about it, whatever happened. */
  | { readonly kind: 'stay_silent'; readonly speech: SpeechPlan }
  /** Nothing ran: read `question` to the caller; on a clear yes, `confirm()` the pending confirmation. */
  | { readonly kind: 'ask_confirmation'; readonly question: string; readonly token: string; readonly expiresAtUnixMs: number; readonly speech: SpeechPlan }
  /** Nothing ran: verify the caller, then Invoke again with `callContext.verification`; `say` tells them. */
  | { readonly kind: 'ask_verification'; readonly say: string; readonly reason: string; readonly speech: SpeechPlan }
  /** Nothing ran: ask the caller for what `fields` names, then let the model call again. */
  | { readonly kind: 'ask_for_details'; readonly say: string; readonly fields: readonly { readonly field: string; readonly message: string }[]; readonly speech: SpeechPlan }
  /**
   * Say `say`. `done` tells whether the tool acted (`unknown`: it may have; do not say it did), and
   * `retryable` whether the same Invoke could succeed a little later.
   */
  | { readonly kind: 'say_failure'; readonly say: string; readonly reason: string; readonly done: false | 'unknown'; readonly retryable: boolean; readonly speech: SpeechPlan };

const RETRYABLE_REASONS = new Set<string>([
  LocalReason.EXECUTOR_UNREACHABLE,
  LocalReason.TURN_BUDGET_EXHAUSTED,
  'HTTP_408',
  'HTTP_429',
  'HTTP_502',
  'HTTP_503',
  'HTTP_504',
  'CONFIRMATION_STORE_UNAVAILABLE',
]);

const RETRYABLE_OUTCOMES = new Set<Outcome>([Outcome.OUTCOME_CIRCUIT_OPEN, Outcome.OUTCOME_QUEUE_FULL, Outcome.OUTCOME_RATE_LIMITED, Outcome.OUTCOME_TIMEOUT]);

/** Whether the tool may have acted although it failed: a timeout, a 5xx, or a connection lost after sending. */
function mayHaveActed(r: InvokeResponse): boolean {
  if (r.reason === LocalReason.TURN_BUDGET_EXHAUSTED || r.reason === LocalReason.EXECUTOR_UNREACHABLE) return false;
  return r.outcome === Outcome.OUTCOME_TIMEOUT || r.outcome === Outcome.OUTCOME_INTERNAL || (r.outcome === Outcome.OUTCOME_UPSTREAM_ERROR && r.httpStatus >= 500);
}

function parseResult(json: string): unknown {
  if (json === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

/**
 * Turns an Invoke answer into the agent's next move: say the result, stay silent, ask the confirmation
 * question, ask for verification or for missing details, or say the failure. `speech` is the
 * executor's guidance from this answer (start and delay phrases for the next call of the tool).
 */
export function nextAction(response: InvokeResponse): NextAction {
  const speech = speechFor(response);
  if (speech.silent) return { kind: 'stay_silent', speech };
  switch (response.outcome) {
    case Outcome.OUTCOME_SUCCESS:
    case Outcome.OUTCOME_ACCEPTED:
      return { kind: 'say_result', say: response.summary, result: parseResult(response.resultJson), speech };
    case Outcome.OUTCOME_CONFIRMATION_REQUIRED:
      return {
        kind: 'ask_confirmation',
        question: response.confirmation?.prompt || response.agentMessage,
        token: response.confirmation?.token ?? '',
        expiresAtUnixMs: Number(response.confirmation?.expiresAtUnixMs ?? 0),
        speech,
      };
    case Outcome.OUTCOME_VERIFICATION_REQUIRED:
      return { kind: 'ask_verification', say: response.agentMessage, reason: response.reason, speech };
    case Outcome.OUTCOME_INVALID_ARGUMENTS:
      return { kind: 'ask_for_details', say: response.agentMessage, fields: response.fieldErrors.map((f) => ({ field: f.field, message: f.message })), speech };
    default:
      return {
        kind: 'say_failure',
        say: response.agentMessage,
        reason: response.reason,
        done: mayHaveActed(response) ? 'unknown' : false,
        retryable: RETRYABLE_OUTCOMES.has(response.outcome) || RETRYABLE_REASONS.has(response.reason),
        speech,
      };
  }
}
