import type { Redis } from 'ioredis';
import { SwitchboardError } from '@switchboard/errors';
import type { TokenSealer } from '../auth/index.js';

/** One value an integration exported to the call's state. */
export interface StateValue {
  readonly value: unknown;
  /** Personal data: never audited, logged or shown to the model (it sees "set"). */
  readonly sensitive: boolean;
}

export interface StateWrite {
  readonly values: readonly { readonly name: string; readonly value: unknown; readonly sensitive: boolean }[];
  /** A verifier's success: the level it grants, for how long. */
  readonly verification?: { readonly level: string; readonly ttlSeconds: number } | undefined;
}

export interface CallStateSettings {
  /** Every write renews the call's state for this long; EndCall deletes it sooner. */
  readonly ttlSeconds: number;
  /** The most the call's sealed state may hold in Redis (field names and sealed values). */
  readonly maxBytes: number;
}

export interface CallStateStats {
  reads: number;
  writes: number;
  /** Reads and writes Redis did not answer (the invocation ended CALL_STATE_UNAVAILABLE). */
  errors: number;
  /** Writes refused because the state would outgrow maxBytes. */
  tooLarge: number;
}

const VALUE = 'v:';
const VERIFIED = 'ver:';
const FAILURES = 'fails';

/**
 * Replaces the given fields, unless the hash would then hold more than ARGV[2] bytes (names and
 * values), and renews the TTL: one round trip, atomic against the other replicas' writes.
 * Answers the new size, or -1 when it would be too large (nothing written).
 */
const WRITE = `
local current = redis.call('HGETALL', KEYS[1])
local replaced = {}
for i = 3, #ARGV, 2 do replaced[ARGV[i]] = true end
local size = 0
for i = 1, #current, 2 do
  if not replaced[current[i]] then size = size + #current[i] + #current[i + 1] end
end
for i = 3, #ARGV, 2 do size = size + #ARGV[i] + #ARGV[i + 1] end
if size > tonumber(ARGV[2]) then return -1 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return size
`;

/**
 * What one read found: sealed until a value is asked for, so an invocation opens only the values its
 * parameters take.
 */
export class StateSnapshot {
  constructor(
    private readonly key: string,
    private readonly fields: Readonly<Record<string, string>>,
    private readonly sealer: TokenSealer,
  ) {}

  /** Failed verifications counted in this call so far. */
  get failures(): number {
    const n = Number(this.fields[FAILURES] ?? 0);
    return Number.isFinite(n) ? n : 0;
  }

  /** The value exported under `name`, or undefined (never exported, or sealed under a retired key). */
  value(name: string): StateValue | undefined {
    const plain = this.open(VALUE + name);
    if (plain === undefined) return undefined;
    const { v, s } = JSON.parse(plain) as { v: unknown; s: boolean };
    return { value: v, sensitive: s === true };
  }

  /** Levels the call is verified at right now (a verifier succeeded within its TTL). */
  verifiedLevels(now: number): string[] {
    const levels: string[] = [];
    for (const field of Object.keys(this.fields)) {
      if (!field.startsWith(VERIFIED)) continue;
      const plain = this.open(field);
      if (plain !== undefined && (JSON.parse(plain) as { until: number }).until > now) levels.push(field.slice(VERIFIED.length));
    }
    return levels;
  }

  private open(field: string): string | undefined {
    const sealed = this.fields[field];
    if (sealed === undefined) return undefined;
    try {
      return this.sealer.open(sealed, `${this.key}#${field}`);
    } catch {
      // Tampered with, or sealed under a key the ring no longer holds: as if never written.
      return undefined;
    }
  }
}

/**
 * The call state: values integrations exported, the verifications they granted and the failed
 * verification attempts, per org and call, in one Redis hash shared by every executor replica. Each
 * value is sealed with the master key ring; its associated data is the key and field, so a value
 * copied to another call, org or name does not open. Keys hold the org and call id only.
 */
export class CallStateStore {
  readonly stats: CallStateStats = { reads: 0, writes: 0, errors: 0, tooLarge: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly sealer: TokenSealer,
    private readonly keyPrefix: string,
    readonly settings: CallStateSettings,
  ) {}

  keyOf(orgId: string, callId: string): string {
    return `${this.keyPrefix}state:${orgId}:${callId}`;
  }

  async read(orgId: string, callId: string): Promise<StateSnapshot> {
    const key = this.keyOf(orgId, callId);
    let fields: Record<string, string>;
    try {
      fields = await this.redis.hgetall(key);
    } catch (err) {
      throw this.unavailable('read', err);
    }
    this.stats.reads++;
    return new StateSnapshot(key, fields, this.sealer);
  }

  /** Writes exported values and a granted verification; CALL_STATE_TOO_LARGE when the bound would be passed. */
  async write(orgId: string, callId: string, write: StateWrite): Promise<void> {
    const key = this.keyOf(orgId, callId);
    const args: string[] = [];
    const seal = (field: string, plain: string) => args.push(field, this.sealer.seal(plain, `${key}#${field}`));
    for (const { name, value, sensitive } of write.values) seal(VALUE + name, JSON.stringify({ v: value, s: sensitive }));
    if (write.verification !== undefined) {
      seal(VERIFIED + write.verification.level, JSON.stringify({ until: Date.now() + write.verification.ttlSeconds * 1000 }));
    }
    if (args.length === 0) return;
    let size: number;
    try {
      size = Number(await this.redis.eval(WRITE, 1, key, this.settings.ttlSeconds, this.settings.maxBytes, ...args));
    } catch (err) {
      throw this.unavailable('write', err);
    }
    if (size < 0) {
      this.stats.tooLarge++;
      throw new SwitchboardError('CALL_STATE_TOO_LARGE', `the call state would grow past ${this.settings.maxBytes} bytes (CALL_STATE_MAX_BYTES); nothing was exported`);
    }
    this.stats.writes++;
  }

  /** Counts one failed verification; answers the call's count so far. */
  async fail(orgId: string, callId: string): Promise<number> {
    const key = this.keyOf(orgId, callId);
    try {
      const replies = await this.redis.multi().hincrby(key, FAILURES, 1).expire(key, this.settings.ttlSeconds).exec();
      const [error, count] = replies?.[0] ?? [new Error('the transaction was discarded'), 0];
      if (error) throw error;
      return Number(count);
    } catch (err) {
      throw this.unavailable('write', err);
    }
  }

  /** Deletes the call's state (EndCall); answers whether there was any. */
  async end(orgId: string, callId: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.keyOf(orgId, callId))) > 0;
    } catch (err) {
      throw this.unavailable('delete', err);
    }
  }

  private unavailable(what: string, cause: unknown): SwitchboardError {
    this.stats.errors++;
    return new SwitchboardError('CALL_STATE_UNAVAILABLE', `the call state could not be ${what === 'read' ? 'read' : what === 'write' ? 'written' : 'deleted'}: Redis did not answer`, { cause });
  }
}
