import type { SpeechPlan } from './types.js';

/** The phrases of one wait, from a SpeechPlan (or the executor's SpeechGuidance fields). */
export type WaitPhrases = Pick<SpeechPlan, 'startPhrase' | 'delayPhrase' | 'delayAfterMs'> & { readonly silent?: boolean };

export interface DelayPhraseTimer {
  /** Call when the answer arrives: the delay phrase is not said after this. Idempotent. */
  stop(): void;
  /** Whether the delay phrase was said. */
  readonly delaySaid: boolean;
}

/**
 * Fills the wait for one Invoke: says the start phrase at once, and the delay phrase if the answer
 * has not come `delayAfterMs` later. Silent (ambient) plans say nothing. Wrap the Invoke:
 *
 *   const timer = sayWhileWaiting(previousPlan, (phrase) => tts.say(phrase));
 *   try { response = await sb.invoke(...) } finally { timer.stop() }
 */
export function sayWhileWaiting(phrases: WaitPhrases, say: (phrase: string) => void): DelayPhraseTimer {
  let delaySaid = false;
  let timer: NodeJS.Timeout | undefined;
  if (phrases.silent !== true) {
    if (phrases.startPhrase !== '') say(phrases.startPhrase);
    if (phrases.delayPhrase !== '' && phrases.delayAfterMs > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        delaySaid = true;
        say(phrases.delayPhrase);
      }, phrases.delayAfterMs);
      // A forgotten timer must not keep a runtime process alive.
      timer.unref();
    }
  }
  return {
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    get delaySaid() {
      return delaySaid;
    },
  };
}
