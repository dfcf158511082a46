// Kept back from the runtime's gRPC deadline so that a TIMEOUT outcome reaches it before the deadline
// does (the reply still has to be encoded, sent and read, and timers fire late on a busy event loop):
// a tenth of what is left, within these bounds.
const REPLY_RESERVE_MIN_MS = 50;
const REPLY_RESERVE_MAX_MS = 250;
const MIN_BUDGET_MS = 10;

/** The time the upstream may take: the definition's timeout, or less when the runtime needs the answer sooner. */
export function budgetFor(definitionMs: number, deadline: number, now: number): number {
  const remaining = deadline - now;
  const reserve = Math.min(REPLY_RESERVE_MAX_MS, Math.max(REPLY_RESERVE_MIN_MS, remaining / 10));
  // AbortSignal.timeout takes whole milliseconds only; gRPC deadlines need not be whole.
  return Math.max(MIN_BUDGET_MS, Math.floor(Math.min(definitionMs, remaining - reserve)));
}
