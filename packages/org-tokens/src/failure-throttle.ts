import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TOKEN_PREFIX } from './token-format.js';

export interface FailureThrottleOptions {
  /** Failed tokens one client address may present in a window before it must wait. */
  readonly maxPerAddress: number;
  /** Failed tokens all addresses together may present with one prefix in a window (distributed guessing). */
  readonly maxPerPrefix: number;
  readonly windowMs: number;
  /** Key prefix in Redis: one per service (tests use their own). */
  readonly keyPrefix: string;
}

/** The counter a presented token falls under globally: its org-token prefix, or one bucket for everything else. */
export function tokenPrefixOf(token: string): string {
  return token.startsWith(TOKEN_PREFIX) ? TOKEN_PREFIX : '(other)';
}

/**
 * The Redis connection of a throttle: it fails fast while Redis is away (no offline queue, no retries of a
 * command), so a request never waits on it; the throttle's in-memory stand-in counts meanwhile. `onDown`
 * runs once per outage, when the connection first fails.
 */
export function throttleRedis(url: string, onDown: (err: Error) => void): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) onDown(err);
    down = true;
  });
  redis.on('ready', () => (down = false));
  return redis;
}

/**
 * Failed org-token authentications (the console's sign-ins, the MCP gateway's bearer tokens) counted per
 * client address and globally per token prefix, in Redis so every replica shares the counts
 * (rate-limiter-flexible; an in-memory limiter per replica stands in while Redis is down). Nothing ever
 * resets a count early: a success, by this token or another, leaves the failures standing until their
 * window ends.
 */
export class FailureThrottle {
  private readonly byAddress: RateLimiterAbstract;
  private readonly byPrefix: RateLimiterAbstract;

  constructor(redis: Redis | undefined, private readonly options: FailureThrottleOptions) {
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

  /** Counts one failed token against the address and the prefix. */
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
