import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthType, CredentialType, type Auth, type OAuth2 } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logging';
import type { Redis, RedisStatus } from 'ioredis';
import type { Dispatcher } from 'undici';
import { authFailed, missingField, wrongCredentialType } from './auth-failed.js';
import {
  asAccessRecord,
  asFailureRecord,
  asRefreshRecord,
  authConfigHash,
  credentialFingerprint,
  oauthKeys,
  openRecord,
  sealRecord,
  type AccessRecord,
  type FailureRecord,
  type OAuthKeys,
  type RefreshRecord,
} from './oauth-records.js';
import { requestToken, type OAuthGrant, type TokenRequestInput, type TokenRequestOptions, type TokenResult } from './oauth-token-request.js';
import { acquireLock, deleteIfEquals, lockToken, releaseLock } from './redis-lock.js';
import type { OAuthTokenKey, OAuthTokenStats, PermanentFailureInfo, ResolvedCredential, TokenSealer } from './types.js';
import { settleWithin } from '../settle-within.js';
import type { AbortLike } from '../budget.js';

export interface OAuthTokenProviderOptions {
  redis: Redis;
  sealer: TokenSealer;
  /** The same egress-guarded dispatcher upstream calls use: token URLs are integrator input too. */
  dispatcher: Dispatcher;
  logger: Logger;
  /** Start refreshing this long before expiry (at most half a token's lifetime). Default 60 s. */
  skewMs?: number;
  /** Cross-replica lock lifetime; must exceed requestTimeoutMs so a lock outlives its fetch. Default 10 s. */
  lockTtlMs?: number;
  /** Longest wait for any Redis command before going on without Redis. Default 250 ms. */
  redisTimeoutMs?: number;
  keyPrefix?: string;
  /** Bounds one token request, connect to last byte. Default 5 s. */
  requestTimeoutMs?: number;
  /** How long a refused grant or client fails fast before the token endpoint is asked again. Default 30 s. */
  failureTtlMs?: number;
  /** After a Redis failure, skip Redis this long rather than make every call wait redisTimeoutMs. Default 1 s. */
  redisRetryAfterMs?: number;
  onPermanentFailure?: (info: PermanentFailureInfo) => void;
  /** Wall clock for token expiry (tests inject one). */
  now?: () => number;
}

// When a token endpoint leaves out expires_in, assume a short life rather than cache a dead token for long.
const DEFAULT_LIFETIME_S = 300;
// A token this close to expiry is not sent: the upstream call itself takes a while.
const USABLE_MARGIN_MS = 5_000;
const MIN_CACHE_TTL_MS = 1_000;
// A rotated refresh token is the only copy of the grant; keep it long past any access token.
const REFRESH_RECORD_TTL_MS = 90 * 24 * 3600 * 1000;
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
// Process-memory fallback for a Redis outage; bounded so that many credentials cannot grow it without limit.
const LOCAL_MAX_ENTRIES = 10_000;
const WARN_INTERVAL_MS = 10_000;
const DOWN_STATUSES: ReadonlySet<RedisStatus> = new Set<RedisStatus>(['reconnecting', 'close', 'end']);

class RedisUnavailable extends Error {}

interface AuthConfig {
  grant: OAuthGrant;
  hash: string;
  tokenUrl: URL;
  oauth2: OAuth2;
}

interface Plan {
  orgId: string;
  credentialId: string;
  keys: OAuthKeys;
  fp: string;
  flightKey: string;
  input: TokenRequestInput;
  credentialRefreshToken: string | undefined;
}

interface CacheRead {
  access: AccessRecord | undefined;
  failure: FailureRecord | undefined;
}

interface LocalFailure extends FailureRecord {
  until: number;
}

/**
 * OAuth 2 access tokens for the client-credentials and refresh-token grants, cached sealed in Redis and
 * fetched once per expiry across all replicas. Without Redis it fetches directly and keeps going.
 */
export class OAuthTokenProvider {
  private readonly redis: Redis;
  private readonly sealer: TokenSealer;
  private readonly logger: Logger;
  private readonly skewMs: number;
  private readonly lockTtlMs: number;
  private readonly redisTimeoutMs: number;
  private readonly keyPrefix: string;
  private readonly failureTtlMs: number;
  private readonly redisRetryAfterMs: number;
  private readonly onPermanentFailure: ((info: PermanentFailureInfo) => void) | undefined;
  private readonly now: () => number;
  private readonly requestOptions: TokenRequestOptions;

  private readonly counters: OAuthTokenStats = { cacheHits: 0, fetches: 0, redisFallbacks: 0, permanentFailures: 0 };
  private readonly flights = new Map<string, Promise<string>>();
  private readonly refreshing = new Map<string, Promise<string>>();
  private readonly localLocks = new Map<string, Promise<void>>();
  private readonly localAccess = new Map<string, AccessRecord>();
  /** Cache keys whose token in localAccess is also the one in Redis, so memory may answer for Redis. */
  private readonly sharedAccess = new Set<string>();
  private readonly localRefresh = new Map<string, RefreshRecord>();
  private readonly localFailures = new Map<string, LocalFailure>();
  // Definitions come from a local cache, so the same Auth and credential objects recur: hash them once.
  private readonly configs = new WeakMap<Auth, AuthConfig>();
  private readonly fingerprints = new WeakMap<ResolvedCredential, string>();

  private redisDownUntil = 0;
  private lastRedisWarnAt = Number.NEGATIVE_INFINITY;
  private unwarnedRedisProblems = 0;

  constructor(options: OAuthTokenProviderOptions) {
    this.redis = options.redis;
    this.sealer = options.sealer;
    this.logger = options.logger;
    this.skewMs = options.skewMs ?? 60_000;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 250;
    this.keyPrefix = options.keyPrefix ?? 'sb:';
    this.failureTtlMs = options.failureTtlMs ?? 30_000;
    this.redisRetryAfterMs = options.redisRetryAfterMs ?? 1_000;
    this.onPermanentFailure = options.onPermanentFailure;
    this.now = options.now ?? Date.now;
    const timeoutMs = options.requestTimeoutMs ?? 5_000;
    if (this.lockTtlMs <= timeoutMs) {
      throw new SwitchboardError(
        'INVALID_CONFIG',
        `OAuth lockTtlMs (${this.lockTtlMs}) must exceed requestTimeoutMs (${timeoutMs}), or a second replica could spend the same refresh token`,
      );
    }
    this.requestOptions = { dispatcher: options.dispatcher, timeoutMs, maxResponseBytes: MAX_TOKEN_RESPONSE_BYTES };
  }

  /**
   * An access token for the integration's OAuth 2 settings. The caller's `signal` stops this caller's
   * wait only: a token request other callers share runs on under its own timeout, and its token is
   * cached for the next call. Rejects with AUTH_FAILED, or with the signal's reason.
   */
  async getToken(key: OAuthTokenKey, credential: ResolvedCredential, signal?: AbortLike): Promise<string> {
    signal?.throwIfAborted();
    const plan = this.plan(key, credential);
    // Until its refresh time a token this process already holds is served from memory: no Redis round
    // trip and no decryption on the hot path. A token revoked early shows up as a 401, which invalidates it.
    const held = this.localAccess.get(plan.keys.cache);
    if (held !== undefined && this.sharedAccess.has(plan.keys.cache) && this.now() < held.refresh_at) {
      this.counters.cacheHits += 1;
      return held.access_token;
    }
    let flight = this.flights.get(plan.flightKey);
    if (flight === undefined) {
      flight = this.obtain(plan).finally(() => this.flights.delete(plan.flightKey));
      // Every caller may have given up by the time it settles.
      flight.catch(() => undefined);
      this.flights.set(plan.flightKey, flight);
    }
    return signal === undefined ? flight : abortable(flight, signal);
  }

  /**
   * For the 401 path: forgets `staleToken` so the next getToken fetches a new one. Deletes the cached
   * token only while it is still the stale one, so a token another replica just refreshed survives.
   */
  async invalidate(key: OAuthTokenKey, staleToken: string): Promise<void> {
    const keys = this.keysFor(key, this.config(key.auth, key.credentialId));
    if (this.localAccess.get(keys.cache)?.access_token === staleToken) {
      this.localAccess.delete(keys.cache);
      this.sharedAccess.delete(keys.cache);
    }
    if (!this.redisUsable()) return;
    try {
      const sealed = await this.redisCall(() => this.redis.get(keys.cache));
      if (sealed === null) return;
      const record = this.openAccess(keys.cache, sealed);
      if (record?.access_token === staleToken) await this.redisCall(() => deleteIfEquals(this.redis, keys.cache, sealed));
    } catch (error) {
      if (!(error instanceof RedisUnavailable)) throw error;
      this.redisFailed(error);
    }
  }

  stats(): OAuthTokenStats {
    return { ...this.counters };
  }

  private async obtain(plan: Plan): Promise<string> {
    if (this.redisUsable()) {
      try {
        const read = await this.read(plan);
        const token = this.serve(plan, read);
        if (token !== undefined) return token;
        const background = this.refreshing.get(plan.flightKey);
        if (background !== undefined) return await background;
        return await this.fetchUnderLock(plan, false);
      } catch (error) {
        if (!(error instanceof RedisUnavailable)) throw error;
        this.redisFailed(error);
      }
    }
    return this.obtainWithoutRedis(plan);
  }

  /** A cached token if one can be sent; starts a refresh in the background when it is due soon. */
  private serve(plan: Plan, read: CacheRead): string | undefined {
    const token = this.usable(read, false);
    if (token === undefined) return undefined;
    this.counters.cacheHits += 1;
    const access = read.access!;
    this.rememberAccess(plan, access, true);
    if (this.now() >= access.refresh_at && read.failure === undefined) this.refreshInBackground(plan);
    return token;
  }

  /** Fresh tokens always; `freshOnly` false also accepts one past its refresh time but not near expiry. */
  private usable(read: CacheRead, freshOnly: boolean): string | undefined {
    const access = read.access;
    if (access !== undefined) {
      const now = this.now();
      if (now < access.refresh_at) return access.access_token;
      if (!freshOnly && access.expires_at - now > USABLE_MARGIN_MS) return access.access_token;
    }
    if (read.failure !== undefined) throw authFailed(read.failure.message);
    return undefined;
  }

  private refreshInBackground(plan: Plan): void {
    if (this.refreshing.has(plan.flightKey)) return;
    const work = this.redisUsable()
      ? this.fetchUnderLock(plan, true)
      : this.withLocalLock(plan.keys.lock, () => this.fetchAndStore(plan, false));
    const refresh = work.finally(() => this.refreshing.delete(plan.flightKey));
    refresh.catch((error: unknown) => {
      if (error instanceof RedisUnavailable) this.redisFailed(error);
      this.logger.warn(
        { orgId: plan.orgId, credentialId: plan.credentialId, problem: error instanceof Error ? error.message : 'unknown' },
        'background OAuth token refresh failed; the current token is used until it nears expiry',
      );
    });
    this.refreshing.set(plan.flightKey, refresh);
  }

  private async fetchUnderLock(plan: Plan, freshOnly: boolean): Promise<string> {
    const token = lockToken();
    const giveUpAt = performance.now() + 2 * this.lockTtlMs;
    let delayMs = 10;
    for (;;) {
      if (await this.redisCall(() => acquireLock(this.redis, plan.keys.lock, token, this.lockTtlMs))) {
        try {
          // The holder before us may have refreshed between our read and our lock.
          const ready = this.usable(await this.read(plan), true);
          if (ready !== undefined) {
            this.counters.cacheHits += 1;
            return ready;
          }
          return await this.fetchAndStore(plan, true);
        } finally {
          // Not awaited: waiters watch the cache, not the lock, and the lock expires on its own anyway.
          this.redisCall(() => releaseLock(this.redis, plan.keys.lock, token)).catch(() => undefined);
        }
      }
      if (performance.now() > giveUpAt) {
        throw authFailed(`OAuth token for credential ${plan.credentialId} is being fetched elsewhere and did not arrive in time (token_lock_contended)`);
      }
      await sleep(delayMs + Math.random() * delayMs);
      delayMs = Math.min(delayMs * 2, 200);
      const read = await this.read(plan);
      const ready = this.usable(read, freshOnly);
      if (ready !== undefined) {
        this.counters.cacheHits += 1;
        this.rememberAccess(plan, read.access!, true);
        return ready;
      }
    }
  }

  private async obtainWithoutRedis(plan: Plan): Promise<string> {
    this.counters.redisFallbacks += 1;
    this.warnRedis('Redis is unavailable; OAuth tokens come from process memory or the token endpoint directly');
    const read = this.readLocal(plan);
    const token = this.usable(read, false);
    if (token !== undefined) {
      this.counters.cacheHits += 1;
      if (this.now() >= read.access!.refresh_at && read.failure === undefined) this.refreshInBackground(plan);
      return token;
    }
    return this.withLocalLock(plan.keys.lock, async () => {
      // Whoever held the lock before us may have fetched the token already.
      const ready = this.usable(this.readLocal(plan), true);
      if (ready !== undefined) {
        this.counters.cacheHits += 1;
        return ready;
      }
      return this.fetchAndStore(plan, false);
    });
  }

  private async fetchAndStore(plan: Plan, withRedis: boolean): Promise<string> {
    const refreshToken = plan.input.grant === 'refresh_token' ? await this.currentRefreshToken(plan, withRedis) : undefined;
    this.counters.fetches += 1;
    const result = await requestToken({ ...plan.input, refreshToken }, this.requestOptions);
    if (!result.ok) {
      if (result.permanent !== undefined) await this.recordPermanentFailure(plan, result, withRedis);
      throw result.error;
    }
    const { token } = result;
    const now = this.now();
    const lifetimeMs = (token.expiresIn ?? DEFAULT_LIFETIME_S) * 1000;
    const access: AccessRecord = {
      access_token: token.accessToken,
      expires_at: now + lifetimeMs,
      refresh_at: now + lifetimeMs - Math.min(this.skewMs, lifetimeMs / 2),
      fp: plan.fp,
    };
    const rotated: RefreshRecord | undefined =
      plan.input.grant === 'refresh_token' && token.refreshToken !== undefined
        ? { refresh_token: token.refreshToken, issued_at: now, fp: plan.fp }
        : undefined;
    this.rememberAccess(plan, access, false);
    this.localFailures.delete(plan.keys.failure);
    if (rotated !== undefined) setBounded(this.localRefresh, plan.keys.refresh, rotated);
    if (withRedis) await this.store(plan, access, rotated);
    return token.accessToken;
  }

  private async store(plan: Plan, access: AccessRecord, rotated: RefreshRecord | undefined): Promise<void> {
    const { keys } = plan;
    const ttlMs = Math.max(Math.floor(access.expires_at - USABLE_MARGIN_MS - this.now()), MIN_CACHE_TTL_MS);
    const tx = this.redis.multi();
    // The rotated refresh token goes in the same transaction: losing it would leave only a spent one.
    if (rotated !== undefined) tx.set(keys.refresh, sealRecord(this.sealer, keys.refresh, rotated), 'PX', REFRESH_RECORD_TTL_MS);
    tx.set(keys.cache, sealRecord(this.sealer, keys.cache, access), 'PX', ttlMs);
    tx.del(keys.failure);
    try {
      await this.redisCall(() => tx.exec());
      if (this.localAccess.get(keys.cache)?.access_token === access.access_token) this.sharedAccess.add(keys.cache);
    } catch (error) {
      if (!(error instanceof RedisUnavailable)) throw error;
      this.redisFailed(error);
      this.warnRedis('Redis is unavailable; a fetched OAuth token is kept in process memory only');
    }
  }

  /** The newest refresh token of the chain: a rotated one (Redis or memory) beats the credential's. */
  private async currentRefreshToken(plan: Plan, withRedis: boolean): Promise<string | undefined> {
    let best = this.localRefresh.get(plan.keys.refresh);
    if (best !== undefined && best.fp !== plan.fp) best = undefined;
    if (withRedis) {
      const sealed = await this.redisCall(() => this.redis.get(plan.keys.refresh));
      const stored = asRefreshRecord(this.open(plan.keys.refresh, sealed));
      if (stored !== undefined && stored.fp === plan.fp && (best === undefined || stored.issued_at >= best.issued_at)) best = stored;
    }
    return best?.refresh_token ?? plan.credentialRefreshToken;
  }

  private async recordPermanentFailure(plan: Plan, result: Extract<TokenResult, { ok: false }>, withRedis: boolean): Promise<void> {
    this.counters.permanentFailures += 1;
    const info: PermanentFailureInfo = {
      orgId: plan.orgId,
      credentialId: plan.credentialId,
      reason: result.permanent!,
      ...(result.status === undefined ? {} : { status: result.status }),
      ...(result.oauthError === undefined ? {} : { oauthError: result.oauthError }),
    };
    this.logger.warn(info, 'OAuth token request refused for good; the credential needs attention');
    try {
      this.onPermanentFailure?.(info);
    } catch (error) {
      this.logger.error({ orgId: plan.orgId, credentialId: plan.credentialId, problem: String(error) }, 'onPermanentFailure threw');
    }
    const record: FailureRecord = { fp: plan.fp, message: result.error.message };
    setBounded(this.localFailures, plan.keys.failure, { ...record, until: this.now() + this.failureTtlMs });
    if (!withRedis) return;
    try {
      const sealed = sealRecord(this.sealer, plan.keys.failure, record);
      await this.redisCall(() => this.redis.set(plan.keys.failure, sealed, 'PX', this.failureTtlMs));
    } catch (error) {
      if (!(error instanceof RedisUnavailable)) throw error;
      this.redisFailed(error);
    }
  }

  private async read(plan: Plan): Promise<CacheRead> {
    const [sealedAccess, sealedFailure] = await this.redisCall(() => this.redis.mget(plan.keys.cache, plan.keys.failure));
    const access = sealedAccess == null ? undefined : this.openAccess(plan.keys.cache, sealedAccess);
    const failure = asFailureRecord(this.open(plan.keys.failure, sealedFailure ?? null));
    return {
      access: access?.fp === plan.fp ? access : undefined,
      failure: failure?.fp === plan.fp ? failure : undefined,
    };
  }

  private readLocal(plan: Plan): CacheRead {
    const access = this.localAccess.get(plan.keys.cache);
    let failure: LocalFailure | undefined = this.localFailures.get(plan.keys.failure);
    if (failure !== undefined && failure.until <= this.now()) {
      this.localFailures.delete(plan.keys.failure);
      failure = undefined;
    }
    return {
      access: access?.fp === plan.fp ? access : undefined,
      failure: failure?.fp === plan.fp ? failure : undefined,
    };
  }

  private openAccess(key: string, sealed: string): AccessRecord | undefined {
    return asAccessRecord(this.open(key, sealed));
  }

  /** A value that does not open (key removed from the ring, tampering) reads as a miss and is overwritten. */
  private open(key: string, sealed: string | null): Record<string, unknown> | undefined {
    try {
      return openRecord(this.sealer, key, sealed);
    } catch (error) {
      const reason = error instanceof SwitchboardError ? error.reason : 'unreadable';
      this.logger.warn({ key, reason }, 'cached OAuth value could not be opened; treating it as absent');
      return undefined;
    }
  }

  /** `shared`: the same token is in Redis (read from it, or stored there), so other replicas agree on it. */
  private rememberAccess(plan: Plan, access: AccessRecord, shared: boolean): void {
    if (this.localAccess.get(plan.keys.cache)?.access_token !== access.access_token) setBounded(this.localAccess, plan.keys.cache, access);
    if (shared) this.sharedAccess.add(plan.keys.cache);
    else this.sharedAccess.delete(plan.keys.cache);
  }

  private plan(key: OAuthTokenKey, credential: ResolvedCredential): Plan {
    const config = this.config(key.auth, key.credentialId);
    const id = key.credentialId;
    if (credential.type !== CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT) throw wrongCredentialType(id, credential.type, key.auth.type);
    const clientId = credential.fields['client_id'];
    if (clientId === undefined || clientId === '') throw missingField(id, 'client_id');
    const refreshToken = nonEmpty(credential.fields['refresh_token']);
    if (config.grant === 'refresh_token' && refreshToken === undefined) throw missingField(id, 'refresh_token');
    let fp = this.fingerprints.get(credential);
    if (fp === undefined) {
      fp = credentialFingerprint(credential);
      this.fingerprints.set(credential, fp);
    }
    const keys = this.keysFor(key, config);
    return {
      orgId: key.orgId,
      credentialId: id,
      keys,
      fp,
      flightKey: `${keys.cache}#${fp}`,
      input: {
        tokenUrl: config.tokenUrl,
        grant: config.grant,
        scopes: config.oauth2.scopes,
        extraParams: config.oauth2.extraParams,
        clientAuth: config.oauth2.clientAuth,
        clientId,
        clientSecret: nonEmpty(credential.fields['client_secret']),
      },
      credentialRefreshToken: refreshToken,
    };
  }

  private keysFor(key: OAuthTokenKey, config: AuthConfig): OAuthKeys {
    return oauthKeys(this.keyPrefix, key.orgId, key.credentialId, config.grant, config.hash);
  }

  private config(auth: Auth, credentialId: string): AuthConfig {
    const known = this.configs.get(auth);
    if (known !== undefined) return known;
    let grant: OAuthGrant;
    if (auth.type === AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS) grant = 'client_credentials';
    else if (auth.type === AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN) grant = 'refresh_token';
    else throw authFailed(`auth type ${auth.type} of credential ${credentialId} is not an OAuth 2 grant`);
    const oauth2 = auth.oauth2;
    if (oauth2 === undefined || oauth2.tokenUrl === '') throw authFailed(`the integration's OAuth 2 settings have no token_url`);
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(oauth2.tokenUrl);
    } catch {
      throw authFailed(`the integration's OAuth 2 token_url is not a valid URL`);
    }
    if (tokenUrl.protocol !== 'https:' && tokenUrl.protocol !== 'http:') {
      throw authFailed(`the integration's OAuth 2 token_url must be an http(s) URL`);
    }
    const config: AuthConfig = { grant, hash: authConfigHash(grant, oauth2), tokenUrl, oauth2 };
    this.configs.set(auth, config);
    return config;
  }

  private redisUsable(): boolean {
    return performance.now() >= this.redisDownUntil;
  }

  private redisFailed(error: RedisUnavailable): void {
    this.redisDownUntil = performance.now() + this.redisRetryAfterMs;
    this.logger.debug({ problem: error.message }, 'Redis command failed');
  }

  private warnRedis(message: string): void {
    this.unwarnedRedisProblems += 1;
    const t = performance.now();
    if (t - this.lastRedisWarnAt < WARN_INTERVAL_MS) return;
    this.logger.warn({ occurrences: this.unwarnedRedisProblems, redisFallbacks: this.counters.redisFallbacks }, message);
    this.lastRedisWarnAt = t;
    this.unwarnedRedisProblems = 0;
  }

  /** Every Redis command is bounded: ioredis queues commands while reconnecting, which would hang a call. */
  private redisCall<T>(command: () => Promise<T>): Promise<T> {
    if (DOWN_STATUSES.has(this.redis.status)) return Promise.reject(new RedisUnavailable(`Redis connection is ${this.redis.status}`));
    let pending: Promise<T>;
    try {
      pending = command();
    } catch (error) {
      return Promise.reject(new RedisUnavailable('Redis command failed', { cause: error }));
    }
    return settleWithin(
      pending.catch((error: unknown) => {
        throw new RedisUnavailable('Redis command failed', { cause: error });
      }),
      this.redisTimeoutMs,
      () => new RedisUnavailable(`Redis did not answer within ${this.redisTimeoutMs} ms`),
    );
  }

  private async withLocalLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.localLocks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.localLocks.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.localLocks.get(key) === tail) this.localLocks.delete(key);
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function setBounded<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= LOCAL_MAX_ENTRIES) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

function abortable<T>(promise: Promise<T>, signal: AbortLike): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // The abort's own reason (a timeout or the caller's error) is passed on as it is.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // The work's own failure, passed on unchanged.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}
