// Per-integration limits (definition `limits`) shared by every executor replica; see limiter.ts.
export { Limiter, LEASE_GRACE_MS, MAX_BACK_OFF_MS } from './limiter.js';
export type { LimiterStats, Turn, TurnRequest } from './limiter.js';
export { RedisLimitStore } from './redis-limit-store.js';
export { LocalLimitStore } from './local-limit-store.js';
export type { Attempt, LimitStore } from './limit-store.js';
