import { Outcome } from '@switchboard/contracts';
import { isSwitchboardError, reasonEntry, type Reason } from '@switchboard/errors';
import { isOpenBreakerError } from './breakers.js';

export interface ClassifiedFailure {
  readonly outcome: Outcome;
  readonly reason: Reason;
  readonly detail: string;
  readonly agentMessage: string;
}

function classified(reason: Reason, detail: string): ClassifiedFailure {
  const entry = reasonEntry(reason);
  return { outcome: Outcome[entry.outcome], reason, detail, agentMessage: entry.agent };
}

/** Where a failure lands in the InvokeResponse: its reason's outcome and sentence, from the reason catalogue. */
export function classifyFailure(err: unknown): ClassifiedFailure {
  if (isOpenBreakerError(err)) {
    return classified(
      'CIRCUIT_OPEN',
      'the circuit breaker for this integration is open after repeated upstream failures; calls fail fast until a probe succeeds',
    );
  }
  if (isSwitchboardError(err)) return classified(err.reason, err.message);
  return classified('INTERNAL', 'an unexpected error occurred in the executor; see its log');
}
