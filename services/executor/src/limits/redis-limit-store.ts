import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EffectiveLimits } from '@switchboard/definition';
import { GRANTED, type Attempt, type LimitStore } from './limit-store.js';

/**
 * One round trip per try, atomic in Redis, on Redis's clock (replicas' clocks may differ):
 * a back-off in force refuses; expired leases are dropped from the slot set and a full set refuses;
 * the token bucket (refilled at `rate` per second up to `burst`) must hold a token; then the token is
 * taken and the slot leased until now + lease. Nothing is taken unless everything is granted.
 * Answers {granted, retry_in_ms (-1: wait for a release), backing_off}.
 */
const ACQUIRE = `
local slots, bucket = KEYS[1], KEYS[2]
local lease_id, lease_ms = ARGV[1], tonumber(ARGV[2])
local max_concurrent, rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused_until = tonumber(redis.call('HGET', bucket, 'pause') or '0')
if paused_until > now then return {0, paused_until - now, 1} end
if max_concurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  if redis.call('ZCARD', slots) >= max_concurrent then return {0, -1, 0} end
end
if rate > 0 then
  local tokens = tonumber(redis.call('HGET', bucket, 'tokens') or burst)
  local at = tonumber(redis.call('HGET', bucket, 'at') or now)
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
  if tokens < 1 then return {0, math.ceil((1 - tokens) * 1000 / rate), 0} end
  redis.call('HSET', bucket, 'tokens', tostring(tokens - 1), 'at', now)
  redis.call('PEXPIRE', bucket, math.ceil(burst * 1000 / rate) + 60000)
end
if max_concurrent > 0 then
  redis.call('ZADD', slots, now + lease_ms, lease_id)
  if redis.call('PTTL', slots) < lease_ms + 1000 then redis.call('PEXPIRE', slots, lease_ms + 1000) end
end
return {1, 0, 0}
`;

/** Every try is held until now + ms (a later back-off never shortens an earlier one). */
const BACK_OFF = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[1])
if now + ms > tonumber(redis.call('HGET', KEYS[1], 'pause') or '0') then
  redis.call('HSET', KEYS[1], 'pause', now + ms)
  if redis.call('PTTL', KEYS[1]) < ms + 60000 then redis.call('PEXPIRE', KEYS[1], ms + 60000) end
end
return 1
`;

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE).digest('hex');

/** Redis answers NOSCRIPT when its script cache does not hold the script (a restart, SCRIPT FLUSH, a failover). */
function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/** Turns shared by every executor replica, counted in Redis (see ACQUIRE). */
export class RedisLimitStore implements LimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** `{org.tool}` is a hash tag: both keys of an integration live on one Redis Cluster slot. */
  private keys(key: string): [string, string] {
    const base = `${this.keyPrefix}limit:{${key}}`;
    return [`${base}:slots`, `${base}:bucket`];
  }

  async tryAcquire(key: string, limits: EffectiveLimits, leaseId: string, leaseMs: number): Promise<Attempt> {
    const [slots, bucket] = this.keys(key);
    const args = [slots, bucket, leaseId, Math.ceil(leaseMs), limits.maxConcurrent, limits.ratePerSecond, limits.burst] as const;
    // EVALSHA: the script's 1.3 KB are sent (and hashed by Redis) once per Redis, not once per call.
    let reply: [number, number, number];
    try {
      reply = (await this.redis.evalsha(ACQUIRE_SHA, 2, ...args)) as [number, number, number];
    } catch (err) {
      if (!isNoScript(err)) throw err;
      reply = (await this.redis.eval(ACQUIRE, 2, ...args)) as [number, number, number];
    }
    if (reply[0] === 1) return GRANTED;
    return { granted: false, retryInMs: reply[1] < 0 ? undefined : reply[1], backingOff: reply[2] === 1 };
  }

  async release(key: string, leaseId: string): Promise<void> {
    await this.redis.zrem(this.keys(key)[0], leaseId);
  }

  async backOff(key: string, ms: number): Promise<void> {
    await this.redis.eval(BACK_OFF, 1, this.keys(key)[1], Math.ceil(ms));
  }
}
