import { SwitchboardError } from '@switchboard/errors';
import { findEgressBlockedError } from '../egress/index.js';
import type { AbortLike } from '../budget.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Why a send failed, with the reason codes the invoke pipeline maps to outcomes. */
export function classifySendError(err: unknown, signal: Pick<AbortLike, 'aborted'>): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  const blocked = findEgressBlockedError(err);
  if (blocked) return blocked;
  const raw = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  if (signal.aborted || TIMEOUT_CODES.has(code)) {
    return new SwitchboardError('TIMEOUT', 'the upstream did not answer within the time budget');
  }
  return new SwitchboardError('UPSTREAM_UNREACHABLE', `the upstream could not be reached${code ? ` (${code})` : ''}`, { cause: err });
}

/** A failure another attempt may fix: the upstream could not be reached (not a timeout, not a blocked address). */
export function isTransientSendError(err: unknown, signal: Pick<AbortLike, 'aborted'>): boolean {
  return classifySendError(err, signal).reason === 'UPSTREAM_UNREACHABLE';
}

export function tooLarge(limit: number): SwitchboardError {
  return new SwitchboardError('RESPONSE_TOO_LARGE', `the upstream response is larger than the ${limit}-byte limit`);
}
