import { Outcome } from '@switchboard/contracts';
import { isSwitchboardError } from '@switchboard/errors';
import { isOpenBreakerError } from './breakers.js';
import { QUEUE_FULL_SENTENCE } from './delivery/delivery-errors.js';

/** Where each error reason lands in the InvokeResponse: the outcome and the sentence the agent may say. */
const BY_REASON: Record<string, { outcome: Outcome; agent: string }> = {
  INVALID_ARGUMENTS: { outcome: Outcome.OUTCOME_INVALID_ARGUMENTS, agent: 'I need a little more information to do that.' },
  INVALID_DEFINITION: { outcome: Outcome.OUTCOME_INVALID_ARGUMENTS, agent: "I can't do that right now." },
  NOT_FOUND: { outcome: Outcome.OUTCOME_NOT_FOUND, agent: "I'm not able to do that on this call." },
  DISABLED: { outcome: Outcome.OUTCOME_DISABLED, agent: "That service isn't available right now." },
  AUTH_FAILED: { outcome: Outcome.OUTCOME_AUTH_FAILED, agent: "I can't reach that system right now." },
  EGRESS_BLOCKED: { outcome: Outcome.OUTCOME_EGRESS_BLOCKED, agent: "I can't reach that system right now." },
  TIMEOUT: { outcome: Outcome.OUTCOME_TIMEOUT, agent: 'That system is taking too long to answer right now.' },
  RESPONSE_TOO_LARGE: { outcome: Outcome.OUTCOME_RESPONSE_TOO_LARGE, agent: "I couldn't read the answer from that system." },
  MAPPING_FAILED: { outcome: Outcome.OUTCOME_MAPPING_FAILED, agent: "I couldn't read the answer from that system." },
  UPSTREAM_UNREACHABLE: { outcome: Outcome.OUTCOME_UPSTREAM_ERROR, agent: "I can't reach that system right now." },
  UPSTREAM_CLIENT_ERROR: { outcome: Outcome.OUTCOME_UPSTREAM_ERROR, agent: "I'm sorry, that didn't work." },
  UPSTREAM_SERVER_ERROR: { outcome: Outcome.OUTCOME_UPSTREAM_ERROR, agent: "I'm sorry, that system had a problem just now." },
  DELIVERY_QUEUE_FULL: { outcome: Outcome.OUTCOME_QUEUE_FULL, agent: QUEUE_FULL_SENTENCE },
};

export interface ClassifiedFailure {
  readonly outcome: Outcome;
  readonly reason: string;
  readonly detail: string;
  readonly agentMessage: string;
}

export const CIRCUIT_OPEN_SENTENCE = "That system isn't responding right now, so I can't check that at the moment.";

export function classifyFailure(err: unknown): ClassifiedFailure {
  if (isOpenBreakerError(err)) {
    return {
      outcome: Outcome.OUTCOME_CIRCUIT_OPEN,
      reason: 'CIRCUIT_OPEN',
      detail: 'the circuit breaker for this integration is open after repeated upstream failures; calls fail fast until a probe succeeds',
      agentMessage: CIRCUIT_OPEN_SENTENCE,
    };
  }
  if (isSwitchboardError(err)) {
    const known = BY_REASON[err.reason];
    if (known) return { outcome: known.outcome, reason: err.reason, detail: err.message, agentMessage: known.agent };
    return { outcome: Outcome.OUTCOME_INTERNAL, reason: err.reason, detail: err.message, agentMessage: err.agentMessage };
  }
  return {
    outcome: Outcome.OUTCOME_INTERNAL,
    reason: 'INTERNAL',
    detail: 'an unexpected error occurred in the executor; see its log',
    agentMessage: "I'm sorry, something went wrong on my side.",
  };
}
