import { describe, expect, it } from 'vitest';
import { InvokeResponse, Outcome, SpeechMode } from '@switchboard/contracts';
import { toolResultOf } from './tool-result.js';

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
      { type: 'text', text: '{"next":"09:30"}' },
    ]);
  });

  it('confirmation needed is not an error: prompt and token in structured content, the token kept out of the text', () => {
    const r = toolResultOf(
      'book',
      response({ outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED, confirmation: { token: 'ct_secretish', prompt: 'Book at 14:00?', expiresAtUnixMs: 1_800_000_000_000 } }),
    );
    expect(r.isError).toBe(false);
    expect(r.structuredContent).toMatchObject({ status: 'confirmation_required', prompt: 'Book at 14:00?', confirmationToken: 'ct_secretish', expiresAt: '2027-01-15T08:00:00.000Z' });
    expect(JSON.stringify(r.content)).toContain('Book at 14:00?');
    expect(JSON.stringify(r.content)).not.toContain('ct_secretish');
  });

  it('verification needed is not an error and says what to send next', () => {
    const r = toolResultOf('read', response({ outcome: Outcome.OUTCOME_VERIFICATION_REQUIRED, agentMessage: 'I need to verify you first.' }));
    expect(r.isError).toBe(false);
    expect(r.structuredContent).toMatchObject({ status: 'verification_required', agentMessage: 'I need to verify you first.' });
    expect(String((r.structuredContent as { instruction: string }).instruction)).toContain('verification');
  });

  it('failures are errors with the agent sentence, never the integrator detail', () => {
    const r = toolResultOf(
      'look_up',
      response({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_503', httpStatus: 503, agentMessage: 'The system is busy.', detail: 'upstream said: internal host db-7' }),
    );
    expect(r.isError).toBe(true);
    expect(r.content).toEqual([{ type: 'text', text: 'The system is busy.' }]);
    expect(r.structuredContent).toMatchObject({ status: 'failed', outcome: 'OUTCOME_UPSTREAM_ERROR', reason: 'HTTP_503', httpStatus: 503 });
    expect(JSON.stringify(r)).not.toContain('db-7');
  });
});
