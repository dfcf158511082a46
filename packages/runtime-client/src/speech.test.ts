import { describe, expect, it } from 'vitest';
import { Outcome, SpeechMode, type InvokeResponse, type SpeechGuidance } from '@switchboard/contracts';
import { phrasesWhileWaiting, speechFor } from './speech.js';

const FILLER: SpeechGuidance = { mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'Let me pull up your appointments.', delayPhrase: 'Still looking, just a moment.', delayAfterMs: 1200 };
const SILENT: SpeechGuidance = { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 };

function response(outcome: Outcome, partial: Partial<InvokeResponse> = {}): InvokeResponse {
  return {
    invocationId: 'i',
    outcome,
    reason: '',
    httpStatus: 0,
    resultJson: '',
    resultTruncated: false,
    summary: '',
    latencyMs: 1,
    agentMessage: '',
    detail: '',
    fieldErrors: [],
    speech: FILLER,
    confirmation: undefined,
    callState: [],
    ...partial,
  };
}

describe('speechFor', () => {
  it('plays the start phrase, the delay phrase once delay_after_ms passed, then the summary', () => {
    const plan = speechFor(response(Outcome.OUTCOME_SUCCESS, { summary: 'Next appointment on 2025-03-03 at 09:30.' }));
    expect(plan).toMatchObject({ silent: false, kind: 'result', startPhrase: 'Let me pull up your appointments.', afterwards: 'Next appointment on 2025-03-03 at 09:30.' });
    expect(phrasesWhileWaiting(plan, 300)).toEqual(['Let me pull up your appointments.']);
    expect(phrasesWhileWaiting(plan, 1200)).toEqual(['Let me pull up your appointments.', 'Still looking, just a moment.']);
  });

  it('reads the confirmation question, with nothing to fill (nothing ran)', () => {
    const plan = speechFor(
      response(Outcome.OUTCOME_CONFIRMATION_REQUIRED, { speech: SILENT, agentMessage: 'Shall I?', confirmation: { token: 't', prompt: 'Shall I book a cleaning?', expiresAtUnixMs: 1 } }),
    );
    expect(plan).toMatchObject({ silent: false, kind: 'confirmation', afterwards: 'Shall I book a cleaning?', startPhrase: '' });
    expect(phrasesWhileWaiting(plan, 5000)).toEqual([]);
  });

  it("says the gate's sentence when verification is needed", () => {
    const plan = speechFor(response(Outcome.OUTCOME_VERIFICATION_REQUIRED, { speech: SILENT, agentMessage: "I'll need to verify your identity before I can do that." }));
    expect(plan).toMatchObject({ silent: false, kind: 'failure', afterwards: "I'll need to verify your identity before I can do that." });
  });

  it('says the failure sentence of a failed conversational tool', () => {
    const plan = speechFor(response(Outcome.OUTCOME_UPSTREAM_ERROR, { agentMessage: "I'm sorry, I couldn't complete the booking." }));
    expect(plan).toMatchObject({ kind: 'failure', afterwards: "I'm sorry, I couldn't complete the booking." });
  });

  it('keeps an ambient tool silent, even when it fails', () => {
    const ok = speechFor(response(Outcome.OUTCOME_SUCCESS, { speech: SILENT, summary: 'sent' }));
    const failed = speechFor(response(Outcome.OUTCOME_UPSTREAM_ERROR, { speech: SILENT, agentMessage: "I can't reach that system right now." }));
    for (const plan of [ok, failed]) {
      expect(plan).toMatchObject({ silent: true, kind: 'silent', afterwards: '' });
      expect(phrasesWhileWaiting(plan, 10_000)).toEqual([]);
    }
  });
});
