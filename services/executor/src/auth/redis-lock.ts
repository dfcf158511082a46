import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Deletes the lock only while it still holds our token: a holder whose lock expired must not free
// the lock a later holder took.
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export function lockToken(): string {
  return randomBytes(16).toString('base64url');
}

/** `SET key token NX PX ttl`: true when we now hold the lock. */
export async function acquireLock(redis: Redis, key: string, token: string, ttlMs: number): Promise<boolean> {
  const reply = await redis.set(key, token, 'PX', ttlMs, 'NX');
  return reply === 'OK';
}

export async function releaseLock(redis: Redis, key: string, token: string): Promise<boolean> {
  const reply = await redis.eval(RELEASE_SCRIPT, 1, key, token);
  return reply === 1;
}

/** Deletes `key` only if it still holds exactly `expected` (compare-and-delete). */
export async function deleteIfEquals(redis: Redis, key: string, expected: string): Promise<boolean> {
  const reply = await redis.eval(RELEASE_SCRIPT, 1, key, expected);
  return reply === 1;
}
