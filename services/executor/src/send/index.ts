// The send stage shared by live calls, Test and async deliveries (see send-stage.ts).
export { authenticate, newTally, send } from './send-stage.js';
export type { Authenticated, SendInput, SendStageDeps, SendTally } from './send-stage.js';
export { createUpstreamPool, sendRequest } from './http-sender.js';
export type { SendOptions, SentResponse, UpstreamPoolOptions } from './http-sender.js';
export { retryDelay, RETRY_MIN_ATTEMPT_MS } from './retry-interceptor.js';
export type { RetryPlan, SendPlan } from './send-plan.js';
export { UpstreamStatusError } from './upstream-status-error.js';
export { guardHop } from './hop-guard.js';
export type { GuardedHop, Hop } from './hop-guard.js';
