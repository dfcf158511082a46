import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EffectiveLimits } from '@switchboard/definition';
import { GRANTED, type Attempt, type LimitStore } from './limit-store.js';

/**
 * One round trip per try, atomic in Redis, on Redis's clock (replicas' clocks may differ):
 * a back-off in force refuses; expired leases are dropped from the slot set and a full set refuses;
 * the token bucket (refilled at `rate` per second up to `burst`) must hold a token; then the token is
 * taken and the slot leased until now + lease. Nothing is taken unless everything is granted.
 * ARGV[6..] are slots of earlier calls given back first (see RedisLimitStore.release).
 * Answers {granted, retry_in_ms (-1: wait for a release), backing_off, slots_in_use}.
 */
const ACQUIRE = `
local slots, bucket = KEYS[1], KEYS[2]
local lease_id, lease_ms = ARGV[1], tonumber(ARGV[2])
local max_concurrent, rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if #ARGV > 5 then redis.call('ZREM', slots, unpack(ARGV, 6)) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused_until = tonumber(redis.call('HGET', bucket, 'pause') or '0')
if paused_until > now then return {0, paused_until - now, 1, 0} end
local in_use = 0
if max_concurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  in_use = redis.call('ZCARD', slots)
  if in_use >= max_concurrent then return {0, -1, 0, in_use} end
end
if rate > 0 then
  local tokens = tonumber(redis.call('HGET', bucket, 'tokens') or burst)
  local at = tonumber(redis.call('HGET', bucket, 'at') or now)
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
  if tokens < 1 then return {0, math.ceil((1 - tokens) * 1000 / rate), 0, in_use} end
  redis.call('HSET', bucket, 'tokens', tostring(tokens - 1), 'at', now)
  redis.call('PEXPIRE', bucket, math.ceil(burst * 1000 / rate) + 60000)
end
if max_concurrent > 0 then
  redis.call('ZADD', slots, now + lease_ms, lease_id)
  if redis.call('PTTL', slots) < lease_ms + 1000 then redis.call('PEXPIRE', slots, lease_ms + 1000) end
end
return {1, 0, 0, in_use + 1}
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

type AcquireReply = [granted: number, retryInMs: number, backingOff: number, inUse: number];

/** How long a slot given back while the integration is far from its limit may wait to ride along with the next try. */
export const RELEASE_LINGER_MS = 20;

/**
 * Turns shared by every executor replica, counted in Redis (see ACQUIRE).
 *
 * Giving a slot back is one more Redis command, and on a quiet machine each one costs a wake-up of
 * Redis and of this process (about 0.1 ms each on the benchmark's VM). So a slot taken while at most
 * half of max_concurrent was in use is not given back at once: it rides along with this replica's next
 * try on the same integration (the script removes it first), or goes out RELEASE_LINGER_MS later.
 * Near the limit, or with a call of this replica waiting for the slot, it goes back at once, as does a
 * slot taken under contention. A call with only a rate limit holds no slot: nothing to give back.
 */
export class RedisLimitStore implements LimitStore {
  /** Slots this replica holds, by lease id: the integration, and whether it may linger when released. */
  private readonly held = new Map<string, { key: string; roomy: boolean }>();
  /** Slots given back but not yet sent, by integration. */
  private readonly lingering = new Map<string, string[]>();
  private lingerTimer: NodeJS.Timeout | undefined;

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
    const givenBack = this.lingering.get(key) ?? [];
    this.lingering.delete(key);
    const args = [slots, bucket, leaseId, Math.ceil(leaseMs), limits.maxConcurrent, limits.ratePerSecond, limits.burst, ...givenBack];
    let reply: AcquireReply;
    try {
      // EVALSHA: the script's 1.3 KB are sent (and hashed by Redis) once per Redis, not once per call.
      try {
        reply = (await this.redis.evalsha(ACQUIRE_SHA, 2, ...args)) as AcquireReply;
      } catch (err) {
        if (!isNoScript(err)) throw err;
        reply = (await this.redis.eval(ACQUIRE, 2, ...args)) as AcquireReply;
      }
    } catch (err) {
      // Not sent: they go with the next try or the timer (their leases end with their calls' budgets anyway).
      if (givenBack.length > 0) this.linger(key, givenBack);
      throw err;
    }
    if (reply[0] !== 1) return { granted: false, retryInMs: reply[1] < 0 ? undefined : reply[1], backingOff: reply[2] === 1 };
    if (limits.maxConcurrent > 0) this.held.set(leaseId, { key, roomy: reply[3] * 2 <= limits.maxConcurrent });
    return GRANTED;
  }

  async release(key: string, leaseId: string, options: { readonly urgent?: boolean } = {}): Promise<void> {
    const slot = this.held.get(leaseId);
    if (slot === undefined) return; // a rate-only turn holds no slot
    this.held.delete(leaseId);
    if (slot.roomy && options.urgent !== true) return this.linger(key, [leaseId]);
    await this.redis.zrem(this.keys(key)[0], leaseId);
  }

  private linger(key: string, leaseIds: readonly string[]): void {
    const waiting = this.lingering.get(key);
    if (waiting === undefined) this.lingering.set(key, [...leaseIds]);
    else waiting.push(...leaseIds);
    if (this.lingerTimer !== undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      void this.flush();
    }, RELEASE_LINGER_MS);
    this.lingerTimer.unref();
  }

  /** Sends every slot still waiting to be given back (the linger timer, and a stop). */
  async flush(): Promise<void> {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const all = [...this.lingering];
    this.lingering.clear();
    if (all.length === 0) return;
    const batch = this.redis.pipeline();
    for (const [key, leaseIds] of all) batch.zrem(this.keys(key)[0], ...leaseIds);
    // A slot Redis misses stays taken until its lease ends (the call's budget).
    await batch.exec().catch(() => undefined);
  }

  async backOff(key: string, ms: number): Promise<void> {
    await this.redis.eval(BACK_OFF, 1, this.keys(key)[1], Math.ceil(ms));
  }
}
