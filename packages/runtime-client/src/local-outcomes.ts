import { Outcome, SpeechMode, type InvokeResponse } from '@switchboard/contracts';

/**
 * Reasons of the answers the runtime client makes up itself when the executor gave none, so that the
 * model still gets a tool result and the caller still hears a sentence. They come with an empty
 * `invocationId` (no invocation id was issued, or none came back).
 */
export const LocalReason = {
  /** Nothing was sent: the turn's budget was already spent. */
  TURN_BUDGET_EXHAUSTED: 'TURN_BUDGET_EXHAUSTED',
  /** The gRPC deadline passed before the executor answered; the tool may or may not have run. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** The executor could not be reached (or was draining), also after the one safe retry; nothing ran. */
  EXECUTOR_UNREACHABLE: 'EXECUTOR_UNREACHABLE',
  /** The connection broke after the request went out; the tool may or may not have run. */
  EXECUTOR_CONNECTION_LOST: 'EXECUTOR_CONNECTION_LOST',
} as const;
export type LocalReason = (typeof LocalReason)[keyof typeof LocalReason];

const SENTENCES: Record<LocalReason, string> = {
  TURN_BUDGET_EXHAUSTED: "I'm sorry, that's taking too long right now.",
  DEADLINE_EXCEEDED: 'That system is taking too long to answer right now.',
  EXECUTOR_UNREACHABLE: "I can't reach that system right now.",
  EXECUTOR_CONNECTION_LOST: "I'm not sure that went through; let me check before we go on.",
};

const OUTCOMES: Record<LocalReason, Outcome> = {
  TURN_BUDGET_EXHAUSTED: Outcome.OUTCOME_TIMEOUT,
  DEADLINE_EXCEEDED: Outcome.OUTCOME_TIMEOUT,
  EXECUTOR_UNREACHABLE: Outcome.OUTCOME_INTERNAL,
  EXECUTOR_CONNECTION_LOST: Outcome.OUTCOME_INTERNAL,
};

/** An InvokeResponse standing in for the executor's when it could not give one. */
export function localResponse(reason: LocalReason, detail: string, latencyMs: number): InvokeResponse {
  return {
    invocationId: '',
    outcome: OUTCOMES[reason],
    reason,
    httpStatus: 0,
    resultJson: '',
    resultTruncated: false,
    summary: '',
    latencyMs,
    agentMessage: SENTENCES[reason],
    detail,
    fieldErrors: [],
    speech: { mode: SpeechMode.SPEECH_MODE_UNSPECIFIED, startPhrase: '', delayPhrase: '', delayAfterMs: 0 },
    confirmation: undefined,
  };
}

/** True for an answer the runtime client made up (see LocalReason), false for the executor's own. */
export function isLocalResponse(response: InvokeResponse): boolean {
  return response.invocationId === '' && Object.hasOwn(OUTCOMES, response.reason);
}
