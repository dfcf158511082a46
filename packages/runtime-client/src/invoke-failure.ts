import { status } from '@grpc/grpc-js';
import { fromServiceError, isServiceError } from '@switchboard/client';
import { SwitchboardError } from '@switchboard/errors';
import { reasonOf } from '@switchboard/grpc-kit';
import { LocalReason } from './local-outcomes.js';

/**
 * What a failed Invoke RPC means for the call:
 * - `not-sent`: the executor never started it (no connection, or it was draining): safe to send again;
 * - `maybe-ran`: the request went out and no answer came back, so sending it again could act twice;
 * - `rejected`: the executor refused the request itself (malformed, unauthenticated): a bug or a
 *   misconfiguration, thrown as a SwitchboardError rather than spoken.
 */
export type InvokeFailure =
  | { readonly kind: 'not-sent'; readonly detail: string }
  | { readonly kind: 'maybe-ran'; readonly reason: LocalReason; readonly detail: string }
  | { readonly kind: 'rejected'; readonly error: SwitchboardError };

// grpc-js's words for a call that never reached a server (a draining executor says so with reason DRAINING).
const NOT_SENT = [/no connection established/i, /failed to connect/i, /stream refused/i, /name resolution failed/i];

export function classifyInvokeFailure(err: unknown): InvokeFailure {
  if (!isServiceError(err)) {
    return { kind: 'rejected', error: new SwitchboardError('EXECUTOR_REJECTED', `Invoke failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }) };
  }
  const details = err.details || err.message;
  switch (err.code) {
    case status.DEADLINE_EXCEEDED:
      // Never sent again: the turn's time is spent, and a non-idempotent tool may already have acted.
      return { kind: 'maybe-ran', reason: LocalReason.DEADLINE_EXCEEDED, detail: `no answer before the deadline (${details})` };
    case status.UNAVAILABLE:
      if (reasonOf(err) === 'DRAINING' || NOT_SENT.some((p) => p.test(details))) return { kind: 'not-sent', detail: details };
      return { kind: 'maybe-ran', reason: LocalReason.EXECUTOR_CONNECTION_LOST, detail: details };
    case status.CANCELLED:
    case status.INTERNAL:
    case status.UNKNOWN:
      return { kind: 'maybe-ran', reason: LocalReason.EXECUTOR_CONNECTION_LOST, detail: details };
    default: {
      const refused = fromServiceError(err, 'executor');
      return {
        kind: 'rejected',
        error: new SwitchboardError('EXECUTOR_REJECTED', `the executor refused the Invoke request [${refused.reason}]: ${details}`, {
          fieldErrors: refused.fieldErrors,
          cause: err,
        }),
      };
    }
  }
}
