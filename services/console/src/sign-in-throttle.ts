import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TOKEN_PREFIX } from '@switchboard/org-tokens';

export interface SignInThrottleOptions {
  /** Failed sign-ins one client address may make in a window before it must wait. */
  readonly maxPerAddress: number;
  /** Failed sign-ins all addresses together may make with tokens of one prefix in a window (distributed guessing). */
  readonly maxPerPrefix: number;
  readonly windowMs: number;
  /** Key prefix in Redis (tests use their own). */
  readonly keyPrefix: string;
}

/** The counter a presented token falls under globally: its org-token prefix, or one bucket for everything else. */
export function tokenPrefixOf(token: string): string {
  return token.startsWith(TOKEN_PREFIX) ? TOKEN_PREFIX : '(other)';
}

/**
 * Failed sign-ins counted per client address and globally per token prefix, in Redis so every console
 * replica shares the counts (rate-limiter-flexible; an in-memory limiter per replica stands in while Redis
 * is down). Nothing ever resets a count early: a success, by this token or another, leaves the failures
 * standing until their window ends.
 */
export class SignInThrottle {
  private readonly byAddress: RateLimiterAbstract;
  private readonly byPrefix: RateLimiterAbstract;

  constructor(redis: Redis | undefined, private readonly options: SignInThrottleOptions) {
    const duration = Math.max(1, Math.ceil(options.windowMs / 1000));
    const limiter = (name: string, points: number): RateLimiterAbstract => {
      const keyPrefix = `${options.keyPrefix}:${name}`;
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: memory }) : memory;
    };
    this.byAddress = limiter('address', options.maxPerAddress);
    this.byPrefix = limiter('prefix', options.maxPerPrefix);
  }

  /** How long the caller must wait before another attempt (0: go ahead). */
  async retryAfterMs(address: string, prefix: string): Promise<number> {
    const [a, p] = await Promise.all([this.byAddress.get(address), this.byPrefix.get(prefix)]);
    const wait = (res: RateLimiterRes | null, max: number) => (res && res.consumedPoints >= max ? Math.max(res.msBeforeNext, 1) : 0);
    return Math.max(wait(a, this.options.maxPerAddress), wait(p, this.options.maxPerPrefix));
  }

  /** Counts one failed sign-in against the address and the prefix. */
  async failed(address: string, prefix: string): Promise<void> {
    // consume() rejects with a RateLimiterRes once over the limit: the failure is counted either way.
    const count = (l: RateLimiterAbstract, key: string) =>
      l.consume(key).then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof RateLimiterRes)) throw err;
        },
      );
    await Promise.all([count(this.byAddress, address), count(this.byPrefix, prefix)]);
  }
}
