import type { CallContext } from '@switchboard/contracts';
import { headerValueProblem } from '@switchboard/definition';
import type { FieldProblem } from '@switchboard/errors';

/**
 * Call ids come from the telephony side (a Twilio CallSid is 34 characters, a SIP Call-ID rarely more
 * than 100) and travel in the X-Allison-Call-ID header, the audit event and confirmation tokens.
 * Visible ASCII up to this length covers them; anything else is a malformed request, refused with
 * INVALID_ARGUMENT before it reaches a header (where it would end as INTERNAL).
 */
export const MAX_CALL_ID_LENGTH = 256;
const CALL_ID = new RegExp(`^[\\x21-\\x7e]{0,${MAX_CALL_ID_LENGTH}}$`);

/** Caller and called numbers and the time zone are short; they may be placed in a header. */
const MAX_CONTEXT_TEXT_LENGTH = 256;

function contextTextProblem(text: string): string | undefined {
  if (text.length > MAX_CONTEXT_TEXT_LENGTH) return `must be at most ${MAX_CONTEXT_TEXT_LENGTH} characters`;
  return headerValueProblem(text);
}

/** What is wrong with the call-identifying fields of an Invoke or Test request (empty when nothing). */
export function callScopeProblems(callId: string, context: CallContext | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!CALL_ID.test(callId)) {
    problems.push({ field: 'call_id', message: `must be at most ${MAX_CALL_ID_LENGTH} visible ASCII characters (no spaces)` });
  }
  if (context !== undefined) {
    for (const [field, text] of [
      ['context.caller_number', context.callerNumber],
      ['context.called_number', context.calledNumber],
      ['context.org_time_zone', context.orgTimeZone],
    ] as const) {
      const problem = contextTextProblem(text);
      if (problem !== undefined) problems.push({ field, message: problem });
    }
  }
  return problems;
}
