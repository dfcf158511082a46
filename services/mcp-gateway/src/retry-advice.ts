import { Outcome, type InvokeResponse } from '@switchboard/contracts';

/** Whether calling again can change a failed tools/call's answer, and what the model should do instead. */
export interface RetryAdvice {
  readonly retryable: boolean;
  /** One sentence for the model (not for the caller). */
  readonly advice: string;
}

const LATER: RetryAdvice = { retryable: true, advice: 'Nothing was done. This may work if called again in a little while; do not call it again at once.' };
const UNSURE: RetryAdvice = {
  retryable: true,
  advice: 'The other system did not complete the request, and it may or may not have acted on it. A lookup may work if called again in a little while; before repeating a booking or a change, tell the caller it may not have gone through.',
};
const NEVER = (why: string): RetryAdvice => ({ retryable: false, advice: `Nothing was done, and calling again will not help: ${why}.` });

/** Policy refusals by reason: most need something only the caller or the call runtime can give. */
const POLICY: Record<string, RetryAdvice> = {
  CALL_ID_REQUIRED: NEVER('this tool needs the live call id, which this connection does not carry (X-Switchboard-Call-Id header or _meta["switchboard/context"].callId)'),
  CALLER_REQUEST_REQUIRED: {
    retryable: false,
    advice: 'Nothing was done: use this tool only when the caller explicitly asks for it; the call runtime then passes their request in _meta["switchboard/context"].callerRequest.',
  },
  TOKEN_INVALID: { retryable: false, advice: 'Nothing was done: the confirmation token is not valid. Call again without confirmation_token to get a new confirmation question, and ask the caller.' },
  TOKEN_EXPIRED: { retryable: false, advice: 'Nothing was done: the confirmation expired. Call again without confirmation_token to get a new confirmation question, and ask the caller.' },
  TOKEN_MISMATCH: {
    retryable: false,
    advice: 'Nothing was done: the confirmation token was given for other arguments or another call. Call again without confirmation_token to get a question for these arguments, and ask the caller.',
  },
  TOKEN_ALREADY_USED: { retryable: false, advice: 'Nothing more was done: this confirmation was already used once and the action ran then. Only if the caller wants it done again, call without confirmation_token to ask them again.' },
  CONFIRMATION_STORE_UNAVAILABLE: LATER,
};

/** HTTP answers of the upstream that a repeat can fix (RFC 9110: overloaded or unavailable, or told to wait). */
const RETRYABLE_HTTP = new Set(['HTTP_408', 'HTTP_429', 'HTTP_502', 'HTTP_503', 'HTTP_504']);

/**
 * What a failed outcome means for the model's next step. The agent's sentence is for the caller; this
 * is for the model, so that it neither promises a retry that cannot work nor gives up on one that can.
 */
export function retryAdviceOf(r: Pick<InvokeResponse, 'outcome' | 'reason'>): RetryAdvice {
  switch (r.outcome) {
    case Outcome.OUTCOME_INVALID_ARGUMENTS:
      return { retryable: false, advice: 'Nothing was done: the arguments named in fieldErrors are wrong. Call again only with corrected arguments (ask the caller if needed).' };
    case Outcome.OUTCOME_POLICY_BLOCKED:
      return POLICY[r.reason] ?? NEVER('this organisation\'s rules do not allow it now');
    case Outcome.OUTCOME_TIMEOUT:
      return UNSURE;
    case Outcome.OUTCOME_CIRCUIT_OPEN:
    case Outcome.OUTCOME_QUEUE_FULL:
    case Outcome.OUTCOME_RATE_LIMITED:
      return LATER;
    case Outcome.OUTCOME_UPSTREAM_ERROR:
      return RETRYABLE_HTTP.has(r.reason) || !r.reason.startsWith('HTTP_') ? UNSURE : NEVER(`the other system refused the request (${r.reason})`);
    case Outcome.OUTCOME_CALL_STATE_MISSING:
      return { retryable: true, advice: 'Nothing was done: this tool needs a value an earlier lookup in this session provides. Run the lookup named in the message first, then call this tool again.' };
    case Outcome.OUTCOME_VERIFICATION_LOCKED:
      return NEVER('too many verification attempts failed in this session');
    case Outcome.OUTCOME_DISABLED:
      return NEVER('this tool is switched off');
    case Outcome.OUTCOME_AUTH_FAILED:
      return NEVER('Switchboard could not sign in to the other system; its credentials need fixing');
    case Outcome.OUTCOME_EGRESS_BLOCKED:
      return NEVER('the tool\'s address is not allowed');
    case Outcome.OUTCOME_RESPONSE_TOO_LARGE:
    case Outcome.OUTCOME_MAPPING_FAILED:
      return NEVER('the other system\'s answer cannot be read as this tool is defined');
    default:
      return NEVER('the tool could not run');
  }
}
