import { CALL_ID_PATTERN, CALL_ID_RULE, type CallContext } from '@switchboard/contracts';
import { headerValueProblem } from '@switchboard/definition';
import type { FieldProblem } from '@switchboard/errors';


/** Caller and called numbers and the time zone are short; they may be placed in a header. */
const MAX_CONTEXT_TEXT_LENGTH = 256;

function contextTextProblem(text: string): string | undefined {
  if (text.length > MAX_CONTEXT_TEXT_LENGTH) return `must be at most ${MAX_CONTEXT_TEXT_LENGTH} characters`;
  return headerValueProblem(text);
}

/** What is wrong with the call-identifying fields of an Invoke or Test request (empty when nothing). */
export function callScopeProblems(callId: string, context: CallContext | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // Refused as a malformed request before it reaches a header (where it would end as INTERNAL).
  if (!CALL_ID_PATTERN.test(callId)) problems.push({ field: 'call_id', message: CALL_ID_RULE });
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
