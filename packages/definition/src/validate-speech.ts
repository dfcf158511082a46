import type { BurdenPolicy, Speech } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { BURDEN_LEVEL_NAMES, isKnownEnumValue } from './enum-names.js';
import { MAX_TEMPLATE_LENGTH, MAX_TIMEOUT_MS, MAX_VERIFICATION_METHODS } from './limits.js';
import { compileTextTemplate } from './text-template.js';

/** Verification method names as the runtime reports them, e.g. `dob_phone_match`, `otp`. */
export const VERIFICATION_METHOD_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * Checks a sentence the agent speaks: it compiles, is short, and looks up only the model's
 * arguments (the only values it is rendered with).
 */
function checkSpoken(source: string, field: string, parameterNames: ReadonlySet<string>, problems: FieldProblem[]): void {
  if (source === '') return;
  if (source.length > MAX_TEMPLATE_LENGTH) {
    problems.push({ field, message: `must be at most ${MAX_TEMPLATE_LENGTH} characters` });
    return;
  }
  try {
    const template = compileTextTemplate(source);
    const unknown = template.names.filter((n) => !parameterNames.has(n));
    if (unknown.length > 0) {
      problems.push({ field, message: `refers to ${unknown.map((n) => `{{${n}}}`).join(', ')}, which ${unknown.length === 1 ? 'is not a parameter' : 'are not parameters'}` });
    }
  } catch (err) {
    problems.push({ field, message: err instanceof Error ? err.message : String(err) });
  }
}

export function validateBurden(burden: BurdenPolicy | undefined, parameterNames: ReadonlySet<string>, problems: FieldProblem[]): void {
  if (burden === undefined) return;
  if (!isKnownEnumValue(BURDEN_LEVEL_NAMES, burden.level)) {
    problems.push({ field: 'burden.level', message: `must be ${BURDEN_LEVEL_NAMES.choices}` });
  }
  checkSpoken(burden.fillerPhrase, 'burden.filler_phrase', parameterNames, problems);
  checkSpoken(burden.confirmationPrompt, 'burden.confirmation_prompt', parameterNames, problems);
  if (burden.acceptedVerificationMethods.length > MAX_VERIFICATION_METHODS) {
    problems.push({ field: 'burden.accepted_verification_methods', message: `must list at most ${MAX_VERIFICATION_METHODS} methods` });
  }
  burden.acceptedVerificationMethods.forEach((method, k) => {
    if (!VERIFICATION_METHOD_PATTERN.test(method)) {
      problems.push({ field: `burden.accepted_verification_methods[${k}]`, message: 'must be a method name such as dob_phone_match or otp (letters, digits, _ . : -)' });
    }
  });
}

export function validateSpeech(speech: Speech | undefined, parameterNames: ReadonlySet<string>, problems: FieldProblem[]): void {
  if (speech === undefined) return;
  checkSpoken(speech.startPhrase, 'speech.start_phrase', parameterNames, problems);
  checkSpoken(speech.delayPhrase, 'speech.delay_phrase', parameterNames, problems);
  checkSpoken(speech.failurePhrase, 'speech.failure_phrase', parameterNames, problems);
  if (speech.delayAfterMs > MAX_TIMEOUT_MS) {
    problems.push({ field: 'speech.delay_after_ms', message: `must be at most ${MAX_TIMEOUT_MS}` });
  }
}
