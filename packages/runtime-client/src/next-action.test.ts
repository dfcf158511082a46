import { describe, expect, it } from 'vitest';
import { InvokeResponse, Outcome, SpeechMode, type SpeechGuidance } from '@switchboard/contracts';
import { localResponse, LocalReason } from './local-outcomes.js';
import { nextAction } from './next-action.js';

const FILLER: SpeechGuidance = { mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'Let me check.', delayPhrase: 'Still checking.', delayAfterMs: 1200 };
const SILENT: SpeechGuidance = { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 };
const response = (outcome: Outcome, partial: Partial<InvokeResponse> = {}) => InvokeResponse.fromPartial({ invocationId: 'i', outcome, speech: FILLER, ...partial });

describe('nextAction', () => {
  it('says the result, with the phrases for the next wait', () => {
    const next = nextAction(response(Outcome.OUTCOME_SUCCESS, { summary: 'Free at 09:30.', resultJson: '{"slot":"09:30"}' }));
    expect(next).toMatchObject({ kind: 'say_result', say: 'Free at 09:30.', result: { slot: '09:30' }, speech: { startPhrase: 'Let me check.', delayPhrase: 'Still checking.', delayAfterMs: 1200 } });
  });

  it('stays silent for an ambient tool, even when it fails', () => {
    expect(nextAction(response(Outcome.OUTCOME_SUCCESS, { speech: SILENT })).kind).toBe('stay_silent');
    expect(nextAction(response(Outcome.OUTCOME_UPSTREAM_ERROR, { speech: SILENT, agentMessage: 'x' })).kind).toBe('stay_silent');
  });

  it('asks the confirmation question with its token, and for verification', () => {
    expect(
      nextAction(response(Outcome.OUTCOME_CONFIRMATION_REQUIRED, { speech: SILENT, confirmation: { token: 'ct', prompt: 'Book it?', expiresAtUnixMs: 1_800_000_000_000 } })),
    ).toMatchObject({ kind: 'ask_confirmation', question: 'Book it?', token: 'ct', expiresAtUnixMs: 1_800_000_000_000 });
    expect(nextAction(response(Outcome.OUTCOME_VERIFICATION_REQUIRED, { speech: SILENT, reason: 'VERIFICATION_REQUIRED', agentMessage: 'I need to verify you.' }))).toMatchObject({
      kind: 'ask_verification',
      say: 'I need to verify you.',
    });
  });

  it('asks for the details invalid arguments name', () => {
    const next = nextAction(response(Outcome.OUTCOME_INVALID_ARGUMENTS, { agentMessage: 'Which date?', fieldErrors: [{ field: 'date', message: 'is required' }] }));
    expect(next).toEqual(expect.objectContaining({ kind: 'ask_for_details', say: 'Which date?', fields: [{ field: 'date', message: 'is required' }] }));
  });

  it('says a failure, whether the tool may have acted, and whether trying later can help', () => {
    expect(nextAction(response(Outcome.OUTCOME_UPSTREAM_ERROR, { reason: 'HTTP_503', httpStatus: 503, agentMessage: 'Busy.' }))).toMatchObject({ kind: 'say_failure', say: 'Busy.', done: 'unknown', retryable: true });
    expect(nextAction(response(Outcome.OUTCOME_UPSTREAM_ERROR, { reason: 'HTTP_404', httpStatus: 404, agentMessage: 'No.' }))).toMatchObject({ done: false, retryable: false });
    // Limits: nothing was sent, and a later try may get its turn.
    expect(nextAction(response(Outcome.OUTCOME_RATE_LIMITED, { reason: 'LIMIT_QUEUE_TIMEOUT', agentMessage: 'Busy.' }))).toMatchObject({ kind: 'say_failure', done: false, retryable: true });
    expect(nextAction(response(Outcome.OUTCOME_POLICY_BLOCKED, { reason: 'CALL_ID_REQUIRED', agentMessage: 'Not yet.' }))).toMatchObject({ kind: 'say_failure', retryable: false, done: false });
    expect(nextAction(localResponse(LocalReason.EXECUTOR_UNREACHABLE, 'down', 5))).toMatchObject({ kind: 'say_failure', done: false, retryable: true });
    expect(nextAction(localResponse(LocalReason.DEADLINE_EXCEEDED, 'slow', 5))).toMatchObject({ done: 'unknown', retryable: true });
  });
});
