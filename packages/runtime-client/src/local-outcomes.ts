import { Outcome, SpeechMode, type InvokeResponse } from '@switchboard/contracts';
import { reasonEntry, type Reason } from '@switchboard/errors';

/**
 * Reasons of the answers the runtime client makes up itself when the executor gave none, so that the
 * model still gets a tool result and the caller still hears a sentence (outcome and sentence from the
 * reason catalogue). They come with an empty `invocationId` (no invocation id was issued, or none came
 * back).
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
} as const satisfies Record<string, Reason>;
export type LocalReason = (typeof LocalReason)[keyof typeof LocalReason];

const LOCAL_REASONS: ReadonlySet<string> = new Set(Object.values(LocalReason));

/** An InvokeResponse standing in for the executor's when it could not give one. */
export function localResponse(reason: LocalReason, detail: string, latencyMs: number): InvokeResponse {
  const entry = reasonEntry(reason);
  return {
    invocationId: '',
    outcome: Outcome[entry.outcome],
    reason,
    httpStatus: 0,
    resultJson: '',
    resultTruncated: false,
    summary: '',
    latencyMs,
    agentMessage: entry.agent,
    detail,
    fieldErrors: [],
    speech: { mode: SpeechMode.SPEECH_MODE_UNSPECIFIED, startPhrase: '', delayPhrase: '', delayAfterMs: 0 },
    confirmation: undefined,
    callState: [],
  };
}

/** True for an answer the runtime client made up (see LocalReason), false for the executor's own. */
export function isLocalResponse(response: InvokeResponse): boolean {
  return response.invocationId === '' && LOCAL_REASONS.has(response.reason);
}
