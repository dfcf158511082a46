import { Redis, type RedisOptions } from 'ioredis';

export interface RedisSettings {
  readonly REDIS_URL: string;
  /** Sentinel addresses, `host:port[,host:port…]`; when set, the primary is found through them. */
  readonly REDIS_SENTINELS?: string | undefined;
  /** The primary's name as the sentinels know it (`sentinel monitor <name> …`). */
  readonly REDIS_SENTINEL_NAME: string;
  /** For the data nodes (and the sentinels when REDIS_SENTINEL_PASSWORD is unset). */
  readonly REDIS_PASSWORD?: string | undefined;
  readonly REDIS_SENTINEL_PASSWORD?: string | undefined;
}

/** "a:26379,b:26379" → ioredis sentinel addresses. */
export function parseSentinels(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const at = s.lastIndexOf(':');
      const host = at > 0 ? s.slice(0, at) : s;
      const port = at > 0 ? Number(s.slice(at + 1)) : 26379;
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`REDIS_SENTINELS has an invalid port in "${s}"`);
      return { host, port };
    });
}

/**
 * The executor's Redis: a URL (a managed Redis that fails over behind one address), or Sentinel, where
 * ioredis asks the sentinels for the current primary and follows a failover to the new one. Commands fail
 * fast while Redis is away instead of queueing: the call must go on without it.
 */
export function createRedis(settings: RedisSettings): Redis {
  const common: RedisOptions = {
    connectionName: 'switchboard-executor',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    ...(settings.REDIS_PASSWORD ? { password: settings.REDIS_PASSWORD } : {}),
  };
  const redis = settings.REDIS_SENTINELS
    ? new Redis({
        ...common,
        sentinels: parseSentinels(settings.REDIS_SENTINELS),
        name: settings.REDIS_SENTINEL_NAME,
        ...(settings.REDIS_SENTINEL_PASSWORD ?? settings.REDIS_PASSWORD ? { sentinelPassword: settings.REDIS_SENTINEL_PASSWORD ?? settings.REDIS_PASSWORD } : {}),
        sentinelRetryStrategy: (times) => Math.min(times * 100, 2_000),
      })
    : new Redis(settings.REDIS_URL, common);
  redis.on('error', () => undefined);
  return redis;
}
