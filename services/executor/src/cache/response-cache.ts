import type { Redis } from 'ioredis';
import type { EffectiveCache } from '@switchboard/definition';
import type { TokenSealer } from '../auth/index.js';
import { canonicalHash } from '../burden/index.js';
import type { MappedResponse } from '../response-mapper.js';

/** What one cached lookup is: everything the model got, nothing of the request. */
export interface CacheEntryKey {
  readonly orgId: string;
  readonly toolKey: string;
  /** The definition's revision: a changed definition never answers from an older one's results. */
  readonly revision: number;
  /** The validated arguments (defaults filled), hashed in canonical form. */
  readonly values: Record<string, unknown>;
  /** Set for scope call: only this call's invocations share the entry. */
  readonly callId: string | undefined;
}

export interface ResponseCacheStats {
  hits: number;
  misses: number;
  stores: number;
  /** Reads or writes Redis did not answer (the call went on as a miss). */
  errors: number;
}

/**
 * Mapped results of read-only lookups in Redis, sealed with the master key ring (the entry's key is
 * the seal's associated data, so a value copied under another key does not open). The key is a hash:
 * arguments (which may be personal data) never appear in a Redis key. Every failure is a miss.
 */
export class ResponseCache {
  readonly stats: ResponseCacheStats = { hits: 0, misses: 0, stores: 0, errors: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly sealer: TokenSealer,
    private readonly keyPrefix: string,
  ) {}

  keyOf(entry: CacheEntryKey): string {
    const hash = canonicalHash([entry.orgId, entry.toolKey, entry.revision, entry.callId ?? null, entry.values]);
    return `${this.keyPrefix}cache:${entry.orgId}:${hash}`;
  }

  async get(key: string): Promise<MappedResponse | undefined> {
    let sealed: string | null;
    try {
      sealed = await this.redis.get(key);
    } catch {
      this.stats.errors++;
      return undefined;
    }
    if (sealed === null) {
      this.stats.misses++;
      return undefined;
    }
    try {
      const { resultJson, truncated, summary } = JSON.parse(this.sealer.open(sealed, key)) as Omit<MappedResponse, 'result'>;
      this.stats.hits++;
      return { result: JSON.parse(resultJson) as Record<string, unknown>, resultJson, truncated, summary };
    } catch {
      // Sealed under a key the ring no longer holds, or tampered with: a miss, refilled by this call.
      this.stats.misses++;
      return undefined;
    }
  }

  /** Stores a mapped result for the policy's TTL; not awaited by the call. */
  set(key: string, mapped: MappedResponse, policy: EffectiveCache): void {
    const plain = JSON.stringify({ resultJson: mapped.resultJson, truncated: mapped.truncated, summary: mapped.summary });
    this.redis.set(key, this.sealer.seal(plain, key), 'EX', policy.ttlSeconds).then(
      () => void this.stats.stores++,
      () => void this.stats.errors++,
    );
  }
}
