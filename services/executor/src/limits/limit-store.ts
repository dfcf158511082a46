import type { EffectiveLimits } from '@switchboard/definition';

/** One try for a turn: granted, or when another try could succeed. */
export interface Attempt {
  readonly granted: boolean;
  /**
   * Not granted: ms until a try could succeed (the next token, the end of a back-off), or undefined
   * when every slot is taken and only a release frees one.
   */
  readonly retryInMs: number | undefined;
  /** Not granted because the upstream asked everyone to back off (429 + Retry-After). */
  readonly backingOff: boolean;
}

export const GRANTED: Attempt = Object.freeze({ granted: true, retryInMs: undefined, backingOff: false });

/**
 * Where turns are counted: Redis for every replica together, or this process alone while Redis is
 * away. `key` names the integration (org and tool); a granted try holds its slot (max_concurrent)
 * until `release` or until `leaseMs` pass, so a replica that dies gives its slots back.
 */
export interface LimitStore {
  tryAcquire(key: string, limits: EffectiveLimits, leaseId: string, leaseMs: number): Promise<Attempt>;
  /** `urgent`: a call of this replica waits for the slot, so it must not linger (see RedisLimitStore). */
  release(key: string, leaseId: string, options?: { readonly urgent?: boolean }): Promise<void>;
  /** Holds every try for the integration for `ms` (the upstream's Retry-After). */
  backOff(key: string, ms: number): Promise<void>;
}
