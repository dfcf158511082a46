import { Outcome, SpeechMode, type InvokeResponse } from '@switchboard/contracts';
import type { SpeechPlan } from './types.js';

// Outcomes decided by the burden gate before anything runs: their sentence is for the caller even
// though the gate's speech guidance is SILENT (nothing ran, so there was nothing to fill).
export const GATE_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  Outcome.OUTCOME_POLICY_BLOCKED,
  Outcome.OUTCOME_VERIFICATION_REQUIRED,
  Outcome.OUTCOME_CONFIRMATION_REQUIRED,
]);

/**
 * What the agent says around one Invoke, from the executor's speech guidance: the start phrase as the
 * request goes out, the delay phrase once `delayAfterMs` passed without an answer, and afterwards the
 * summary, the confirmation question or the failure sentence. An ambient tool (mode SILENT) says
 * nothing, not even when it fails: the caller never heard about it.
 *
 * The executor sends the guidance with its answer, so a runtime that wants to fill the wait on a live
 * call uses the plan of the tool's previous answer (the phrases come from the definition), and this
 * one for what to say afterwards.
 */
export function speechFor(response: InvokeResponse): SpeechPlan {
  const guidance = response.speech;
  const filler = guidance?.mode === SpeechMode.SPEECH_MODE_FILLER;
  const silentTool = guidance?.mode === SpeechMode.SPEECH_MODE_SILENT && !GATE_OUTCOMES.has(response.outcome);
  const meanwhile = {
    startPhrase: filler ? guidance.startPhrase : '',
    delayPhrase: filler ? guidance.delayPhrase : '',
    delayAfterMs: filler ? guidance.delayAfterMs : 0,
  };
  if (silentTool) return { silent: true, ...meanwhile, afterwards: '', kind: 'silent' };
  switch (response.outcome) {
    case Outcome.OUTCOME_SUCCESS:
    case Outcome.OUTCOME_ACCEPTED:
      return { silent: false, ...meanwhile, afterwards: response.summary, kind: 'result' };
    case Outcome.OUTCOME_CONFIRMATION_REQUIRED:
      return { silent: false, ...meanwhile, afterwards: response.confirmation?.prompt || response.agentMessage, kind: 'confirmation' };
    default:
      return { silent: false, ...meanwhile, afterwards: response.agentMessage, kind: 'failure' };
  }
}

/** The phrases to play while waiting, in order, for an answer that took `elapsedMs` (for rehearsals and logs). */
export function phrasesWhileWaiting(plan: SpeechPlan, elapsedMs: number): string[] {
  if (plan.silent) return [];
  const out: string[] = [];
  if (plan.startPhrase) out.push(plan.startPhrase);
  if (plan.delayPhrase && plan.delayAfterMs > 0 && elapsedMs >= plan.delayAfterMs) out.push(plan.delayPhrase);
  return out;
}
