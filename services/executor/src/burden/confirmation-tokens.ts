import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SwitchboardError } from '@switchboard/errors';
import { canonicalHash } from './canonical-json.js';
import { settleWithin } from '../settle-within.js';
import { RandomPool } from './random-pool.js';

export interface ConfirmationTokensOptions {
  readonly redis: Redis;
  /** At least 32 bytes, from configuration; shared by every executor replica. Issues new tokens. */
  readonly secret: Buffer;
  /**
   * Secrets of before a rotation: tokens they signed are still accepted until they expire, so a
   * caller asked to confirm just before a rotation is not asked again. Nothing new is issued under them.
   */
  readonly previousSecrets?: readonly Buffer[];
  /** How long the caller has to say yes (default 120000). */
  readonly ttlMs?: number;
  readonly keyPrefix?: string;
  /** Budget for the single-use check against Redis (default 500). */
  readonly redisTimeoutMs?: number;
  readonly now?: () => number;
}

/** What a token is bound to: the exact action the caller is asked to confirm. */
export interface ConfirmationBinding {
  readonly orgId: string;
  readonly callId: string;
  readonly toolKey: string;
  readonly args: Record<string, unknown>;
}

export interface IssuedConfirmation {
  readonly token: string;
  readonly expiresAtUnixMs: number;
}

export type RedeemFailure =
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_ALREADY_USED'
  | 'TOKEN_MISMATCH'
  | 'CONFIRMATION_STORE_UNAVAILABLE';

export type RedeemResult = { readonly ok: true } | { readonly ok: false; readonly reason: RedeemFailure };

const MIN_SECRET_BYTES = 32;
const NONCE_BYTES = 16;
const ID_TAG_BYTES = 16;
const MAC_BYTES = 32;
// base64url without padding: 32 bytes -> 43 characters, for both the token id and the MAC.
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const EXPIRY = /^[1-9][0-9]{0,15}$/;
const MAX_TOKEN_LENGTH = 43 + 1 + 16 + 1 + 43;
/**
 * The used-marker outlives the token by this much: replicas' clocks differ slightly, and a replica
 * running behind must still find the marker while it considers the token unexpired.
 */
const CLOCK_SKEW_MARGIN_MS = 30_000;

class StoreTimeout extends Error {}

/** The two keys derived from one secret: separate per use, so a tag made for one can never pass as the other. */
interface TokenKeys {
  // KeyObjects: an HMAC keyed by one skips re-importing the key bytes on every token.
  readonly idKey: KeyObject;
  readonly bindingKey: KeyObject;
}

function tokenKeys(secret: Buffer): TokenKeys {
  return {
    idKey: deriveKey(secret, 'switchboard/confirmation/token-id/v1'),
    bindingKey: deriveKey(secret, 'switchboard/confirmation/binding/v1'),
  };
}

function deriveKey(secret: Buffer, label: string): KeyObject {
  return createSecretKey(createHmac('sha256', secret).update(label, 'utf8').digest());
}

function decodeCanonical(text: string, bytes: number): Buffer | undefined {
  if (!B64URL_32.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64url');
  // Base64 has spare bits in its last character: without this, several spellings of one id would
  // decode alike yet name different single-use keys in Redis, so one token could be spent twice.
  if (decoded.length !== bytes || decoded.toString('base64url') !== text) return undefined;
  return decoded;
}

/**
 * Single-use confirmation tokens, `<tokenId>.<expiresAtMs>.<mac>`.
 *
 * The token id carries its own tag over the nonce and the expiry, so a forged or garbled token is
 * told apart from a genuine one presented for a different action (TOKEN_INVALID vs TOKEN_MISMATCH)
 * without storing anything at issue time. The MAC binds the id and expiry to the org, the call, the
 * tool and the canonical hash of the arguments. Spending is a `SET NX` in Redis, atomic across
 * replicas.
 */
export class ConfirmationTokens {
  private readonly redis: Redis;
  /** The current keys first (they issue); then those of previous secrets, which only verify. */
  private readonly keys: readonly TokenKeys[];
  private readonly ttlMs: number;
  private readonly keyPrefix: string;
  private readonly redisTimeoutMs: number;
  private readonly now: () => number;
  private readonly random = new RandomPool();

  constructor(options: ConfirmationTokensOptions) {
    if ([options.secret, ...(options.previousSecrets ?? [])].some((secret) => secret.length < MIN_SECRET_BYTES)) {
      throw new SwitchboardError(
        'CONFIRMATION_SECRET_TOO_SHORT',
        `the confirmation token secret must be at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    const ttlMs = options.ttlMs ?? 120_000;
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
      throw new SwitchboardError('INVALID_CONFIRMATION_TTL', 'the confirmation token TTL must be a positive integer');
    }
    const redisTimeoutMs = options.redisTimeoutMs ?? 500;
    if (!Number.isFinite(redisTimeoutMs) || redisTimeoutMs <= 0) {
      throw new SwitchboardError('INVALID_CONFIRMATION_TIMEOUT', 'the confirmation store timeout must be positive');
    }
    this.redis = options.redis;
    this.keys = [options.secret, ...(options.previousSecrets ?? [])].map(tokenKeys);
    this.ttlMs = ttlMs;
    this.keyPrefix = options.keyPrefix ?? 'sb:';
    this.redisTimeoutMs = redisTimeoutMs;
    this.now = options.now ?? Date.now;
  }

  issue(binding: ConfirmationBinding): IssuedConfirmation {
    if (binding.callId === '') {
      throw new SwitchboardError('CALL_ID_REQUIRED', 'a confirmation is bound to a call, and the call id is empty');
    }
    const expiresAtUnixMs = this.now() + this.ttlMs;
    const keys = this.keys[0]!;
    const nonce = this.random.take(NONCE_BYTES);
    const tokenId = Buffer.concat([nonce, idTag(keys, nonce, expiresAtUnixMs)]).toString('base64url');
    const mac = bindingMac(keys, tokenId, expiresAtUnixMs, binding).toString('base64url');
    return { token: `${tokenId}.${expiresAtUnixMs}.${mac}`, expiresAtUnixMs };
  }

  async redeem(input: ConfirmationBinding & { readonly token: string }): Promise<RedeemResult> {
    const parsed = this.parse(input.token);
    if (parsed === undefined) return { ok: false, reason: 'TOKEN_INVALID' };
    const { keys, tokenId, expiresAtUnixMs, mac } = parsed;

    const now = this.now();
    if (now >= expiresAtUnixMs) return { ok: false, reason: 'TOKEN_EXPIRED' };
    if (!timingSafeEqual(mac, bindingMac(keys, tokenId, expiresAtUnixMs, input))) {
      return { ok: false, reason: 'TOKEN_MISMATCH' };
    }

    const ttl = expiresAtUnixMs - now + CLOCK_SKEW_MARGIN_MS;
    let stored: 'OK' | null;
    try {
      stored = await settleWithin(
        this.redis.set(`${this.keyPrefix}confirm:${tokenId}`, '1', 'PX', ttl, 'NX'),
        this.redisTimeoutMs,
        () => new StoreTimeout(`no answer from the confirmation store within ${this.redisTimeoutMs} ms`),
      );
    } catch {
      // Fail closed: without the store we cannot know whether the token was already spent, and a
      // replayed booking or payment is far worse than asking the caller to confirm again.
      return { ok: false, reason: 'CONFIRMATION_STORE_UNAVAILABLE' };
    }
    return stored === 'OK' ? { ok: true } : { ok: false, reason: 'TOKEN_ALREADY_USED' };
  }

  private parse(token: string): { keys: TokenKeys; tokenId: string; expiresAtUnixMs: number; mac: Buffer } | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [tokenId, expiry, macText] = parts as [string, string, string];
    const id = decodeCanonical(tokenId, NONCE_BYTES + ID_TAG_BYTES);
    const mac = decodeCanonical(macText, MAC_BYTES);
    if (id === undefined || mac === undefined || !EXPIRY.test(expiry)) return undefined;
    const expiresAtUnixMs = Number(expiry);
    if (!Number.isSafeInteger(expiresAtUnixMs)) return undefined;
    const nonce = id.subarray(0, NONCE_BYTES);
    const tag = id.subarray(NONCE_BYTES);
    // The id's tag tells which secret issued the token; the binding is then checked under that one only.
    const keys = this.keys.find((candidate) => timingSafeEqual(tag, idTag(candidate, nonce, expiresAtUnixMs)));
    return keys && { keys, tokenId, expiresAtUnixMs, mac };
  }
}

function idTag(keys: TokenKeys, nonce: Buffer, expiresAtUnixMs: number): Buffer {
  return createHmac('sha256', keys.idKey)
    .update(nonce)
    .update(`|${expiresAtUnixMs}`, 'utf8')
    .digest()
    .subarray(0, ID_TAG_BYTES);
}

function bindingMac(keys: TokenKeys, tokenId: string, expiresAtUnixMs: number, binding: ConfirmationBinding): Buffer {
  // A JSON array is an unambiguous encoding: no choice of ids can make two bindings collide.
  const message = JSON.stringify([
    tokenId,
    expiresAtUnixMs,
    binding.orgId,
    binding.callId,
    binding.toolKey,
    canonicalHash(binding.args),
  ]);
  return createHmac('sha256', keys.bindingKey).update(message, 'utf8').digest();
}
