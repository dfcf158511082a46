import { describe, expect, it } from 'vitest';
import { InvokeResponse, Outcome, SpeechMode } from '@switchboard/contracts';
import { declinedResult, toolResultOf } from './tool-result.js';

const response = (partial: Partial<InvokeResponse>) => InvokeResponse.fromPartial({ invocationId: 'inv-1', ...partial });

describe('executor outcomes as MCP tool results', () => {
  it('success carries the mapped result, the summary and the speech guidance', () => {
    const r = toolResultOf(
      'look_up',
      response({
        outcome: Outcome.OUTCOME_SUCCESS,
        resultJson: '{"next":"09:30"}',
        summary: 'The next slot is 09:30.',
        httpStatus: 200,
        speech: { mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'One moment.', delayPhrase: '', delayAfterMs: 0 },
      }),
    );
    expect(r.isError).toBe(false);
    expect(r.structuredContent).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS', result: { next: '09:30' }, speech: { mode: 'SPEECH_MODE_FILLER' } });
    expect(r.content).toEqual([
      { type: 'text', text: 'The next slot is 09:30.' },
      { type: 'text', text: JSON.stringify(r.structuredContent) },
    ]);
  });

  it('confirmation needed is not an error: the text says what to ask and how to call again with the token as an argument', () => {
    const r = toolResultOf(
      'book',
      response({ outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED, confirmation: { token: 'ct_once', prompt: 'Book at 14:00?', expiresAtUnixMs: 1_800_000_000_000 } }),
    );
    expect(r.isError).toBe(false);
    expect(r.structuredContent).toMatchObject({
      status: 'confirmation_required',
      prompt: 'Book at 14:00?',
      confirmationToken: 'ct_once',
      expiresAt: '2027-01-15T08:00:00.000Z',
      confirmWith: { argument: 'confirmation_token', meta: '_meta["switchboard/context"].confirmationToken' },
    });
    const first = (r.content[0] as { text: string }).text;
    expect(first).toContain('Ask the caller: "Book at 14:00?"');
    expect(first).toContain('call book again with exactly the same arguments plus "confirmation_token": "ct_once"');
    expect(r.content.at(-1)).toEqual({ type: 'text', text: JSON.stringify(r.structuredContent) });
  });

  it('a declined confirmation says not to call again', () => {
    const r = declinedResult('book', response({ outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED, confirmation: { token: 't', prompt: 'Book it?', expiresAtUnixMs: 0 } }), 'decline');
    expect(r.isError).toBe(false);
    expect(r.structuredContent).toMatchObject({ status: 'declined', answer: 'decline' });
    expect(JSON.stringify(r.content)).toContain('Do not call book again');
  });

  it('verification needed is not an error and says what to send next', () => {
    const r = toolResultOf('read', response({ outcome: Outcome.OUTCOME_VERIFICATION_REQUIRED, agentMessage: 'I need to verify you first.' }));
    expect(r.isError).toBe(false);
    expect(r.structuredContent).toMatchObject({ status: 'verification_required', agentMessage: 'I need to verify you first.' });
    expect(String((r.structuredContent as { instruction: string }).instruction)).toContain('verification');
    const named = toolResultOf('read', response({ outcome: Outcome.OUTCOME_VERIFICATION_REQUIRED, reason: 'VERIFICATION_REQUIRED' }), { level: 'verified', verificationMethods: ['otp', 'dob_phone_match'] });
    expect(named.structuredContent).toMatchObject({ retryable: false, acceptedVerificationMethods: ['otp', 'dob_phone_match'] });
    const text = JSON.stringify(named.content);
    expect(text).toContain('one of: otp, dob_phone_match');
    expect(text).toContain('X-Switchboard-Verification-Method');
    expect(text).toContain('Calling again without it will not help');
  });

  it('a failure says whether calling again can help; CALL_ID_REQUIRED promises no retry', () => {
    const noCall = toolResultOf('book', response({ outcome: Outcome.OUTCOME_POLICY_BLOCKED, reason: 'CALL_ID_REQUIRED', agentMessage: "I can't do that just yet. Let me try again in a moment." }));
    expect(noCall.structuredContent).toMatchObject({ status: 'failed', reason: 'CALL_ID_REQUIRED', retryable: false });
    expect(JSON.stringify(noCall.content)).not.toContain('try again');
    expect((noCall.content[1] as { text: string }).text).toContain('calling again will not help');
    const busy = toolResultOf('look_up', response({ outcome: Outcome.OUTCOME_CIRCUIT_OPEN, reason: 'CIRCUIT_OPEN', agentMessage: 'Busy.' }));
    expect(busy.structuredContent).toMatchObject({ retryable: true });
    const refused = toolResultOf('look_up', response({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_404', agentMessage: 'Not there.' }));
    expect(refused.structuredContent).toMatchObject({ retryable: false });
  });

  it('failures are errors with the agent sentence, never the integrator detail', () => {
    const r = toolResultOf(
      'look_up',
      response({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_503', httpStatus: 503, agentMessage: 'The system is busy.', detail: 'upstream said: internal host db-7' }),
    );
    expect(r.isError).toBe(true);
    expect(r.content[0]).toEqual({ type: 'text', text: 'The system is busy.' });
    expect(r.structuredContent).toMatchObject({ retryable: true });
    expect(r.structuredContent).toMatchObject({ status: 'failed', outcome: 'OUTCOME_UPSTREAM_ERROR', reason: 'HTTP_503', httpStatus: 503 });
    expect(JSON.stringify(r)).not.toContain('db-7');
  });
});
