import { BurdenLevel, CacheScope, DeliveryMode, HttpMethod, type Integration } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { BURDEN_LEVEL_NAMES, isKnownEnumValue } from './enum-names.js';
import {
  DEFAULT_BREAKER_ERROR_THRESHOLD_PERCENT,
  DEFAULT_BREAKER_RESET_TIMEOUT_MS,
  DEFAULT_BREAKER_ROLLING_WINDOW_MS,
  DEFAULT_BREAKER_VOLUME_THRESHOLD,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DELIVERY_MAX_AGE_MS,
  DEFAULT_DELIVERY_MAX_ATTEMPTS,
  DEFAULT_IDEMPOTENCY_KEY_HEADER,
  DEFAULT_LIMIT_MAX_QUEUE_MS,
  DEFAULT_DELAY_AFTER_MS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_BREAKER_WINDOW_MS,
  MAX_CACHE_TTL_SECONDS,
  MAX_DELIVERY_AGE_MS,
  MAX_DELIVERY_ATTEMPTS,
  MIN_DELIVERY_AGE_MS,
  MAX_REDIRECTS_CAP,
  MAX_RESULT_BYTES_CAP,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_BASE_DELAY_MS,
  MAX_TIMEOUT_MS,
} from './limits.js';
import { isIdempotentMethod } from './http-method.js';

export const DEFAULT_START_PHRASE = 'Let me check that for you.';
export const DEFAULT_DELAY_PHRASE = 'Still checking, thanks for your patience.';
export const DEFAULT_FAILURE_PHRASE = "I'm sorry, I couldn't get that information right now.";

/** What a definition's zero values mean, resolved once so the executor and the registry agree. */
export interface EffectiveSpeech {
  /** True for ambient tools: the agent says nothing about the lookup. */
  readonly silent: boolean;
  /** Template source; empty when nothing is said. */
  readonly startPhrase: string;
  readonly delayPhrase: string;
  readonly delayAfterMs: number;
  readonly failurePhrase: string;
}

export interface EffectiveTimeouts {
  readonly totalMs: number;
  readonly connectMs: number;
}

export interface EffectiveRetry {
  /** Attempts in total, including the first: 1 means no retry. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  /** Set when a non-idempotent request is retried under a stable key. */
  readonly idempotencyKeyHeader: string | undefined;
}

export interface EffectiveBreaker {
  readonly enabled: boolean;
  readonly errorThresholdPercent: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly rollingWindowMs: number;
}

export interface EffectiveDelivery {
  /** True for async delivery: the call gets ACCEPTED and the request goes to the work queue. */
  readonly async: boolean;
  /** Async: attempts in total, including the first. */
  readonly maxAttempts: number;
  /** Async: no attempt starts later than this after acceptance. */
  readonly maxAgeMs: number;
  /** Async: the header that carries the delivery id, so the receiver can drop repeats. */
  readonly idempotencyKeyHeader: string;
}

/** How hard every executor replica together may use the upstream; see limitsOf. */
export interface EffectiveLimits {
  /** Requests in flight at once; 0 for no limit. */
  readonly maxConcurrent: number;
  /** Requests started per second; 0 for no limit. */
  readonly ratePerSecond: number;
  /** The token bucket's size: requests that may start at once after a quiet spell. */
  readonly burst: number;
  /** How long a call may wait for its turn (within its own budget). */
  readonly maxQueueMs: number;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** The level the gate enforces: UNSPECIFIED is conversational. An unknown level is refused, never guessed. */
export function burdenLevelOf(integration: Integration): BurdenLevel {
  const level = integration.burden?.level ?? BurdenLevel.BURDEN_LEVEL_UNSPECIFIED;
  if (level === BurdenLevel.BURDEN_LEVEL_UNSPECIFIED) return BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL;
  if (!isKnownEnumValue(BURDEN_LEVEL_NAMES, level)) {
    throw new SwitchboardError('INVALID_DEFINITION', `integration ${integration.key} has an unknown burden level`);
  }
  return level;
}

export function speechOf(integration: Integration): EffectiveSpeech {
  const speech = integration.speech;
  const failurePhrase = speech?.failurePhrase || DEFAULT_FAILURE_PHRASE;
  if (burdenLevelOf(integration) === BurdenLevel.BURDEN_LEVEL_AMBIENT) {
    // Ambient lookups happen behind the conversation: announcing them, or their slowness, defeats the point.
    return { silent: true, startPhrase: '', delayPhrase: '', delayAfterMs: 0, failurePhrase };
  }
  return {
    silent: false,
    startPhrase: integration.burden?.fillerPhrase || speech?.startPhrase || DEFAULT_START_PHRASE,
    delayPhrase: speech?.delayPhrase || DEFAULT_DELAY_PHRASE,
    delayAfterMs: Math.min(speech?.delayAfterMs || DEFAULT_DELAY_AFTER_MS, MAX_TIMEOUT_MS),
    failurePhrase,
  };
}

/** "Create CRM lead" -> "create CRM lead": lower-case words, except acronyms, which are spoken letter by letter. */
function asAction(name: string): string {
  return name
    .replace(/[{}]/g, '')
    .replace(/[.?!\s]+$/, '')
    .trim()
    .split(/\s+/)
    .map((word) => (word.length > 1 && word === word.toUpperCase() ? word : word.toLowerCase()))
    .join(' ');
}

/** The confirmation question's template source: the definition's own, or one built from its name. */
export function confirmationPromptSource(integration: Integration): string {
  const own = integration.burden?.confirmationPrompt ?? '';
  if (own !== '') return own;
  const action = asAction(integration.name);
  return action === '' ? 'Shall I go ahead?' : `Shall I go ahead and ${action}?`;
}

export function timeoutsOf(integration: Integration): EffectiveTimeouts {
  const totalMs = clamp(integration.timeouts?.totalMs || DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
  const connectMs = clamp(integration.timeouts?.connectMs || DEFAULT_CONNECT_TIMEOUT_MS, 1, totalMs);
  return { totalMs, connectMs };
}

export function maxResultBytesOf(integration: Integration): number {
  return Math.min(integration.responseMapping?.maxResultBytes || DEFAULT_MAX_RESULT_BYTES, MAX_RESULT_BYTES_CAP);
}

export function maxRedirectsOf(integration: Integration): number {
  return Math.min(integration.maxRedirects, MAX_REDIRECTS_CAP);
}

/** A non-idempotent method without an idempotency key is never retried: a repeat could act twice. */
export function retryOf(integration: Integration): EffectiveRetry {
  const retry = integration.retry;
  const header = retry?.idempotencyKeyHeader || undefined;
  const requested = clamp(retry?.maxAttempts || 1, 1, MAX_RETRY_ATTEMPTS);
  const maxAttempts = isIdempotentMethod(integration.method) || header !== undefined ? requested : 1;
  return {
    maxAttempts,
    baseDelayMs: Math.min(retry?.baseDelayMs || DEFAULT_RETRY_BASE_DELAY_MS, MAX_RETRY_BASE_DELAY_MS),
    idempotencyKeyHeader: header,
  };
}

export function breakerOf(integration: Integration): EffectiveBreaker {
  const b = integration.breaker;
  return {
    enabled: b?.disabled !== true,
    errorThresholdPercent: clamp(b?.errorThresholdPercent || DEFAULT_BREAKER_ERROR_THRESHOLD_PERCENT, 1, 100),
    volumeThreshold: b?.volumeThreshold || DEFAULT_BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: Math.min(b?.resetTimeoutMs || DEFAULT_BREAKER_RESET_TIMEOUT_MS, MAX_BREAKER_WINDOW_MS),
    rollingWindowMs: Math.min(b?.rollingWindowMs || DEFAULT_BREAKER_ROLLING_WINDOW_MS, MAX_BREAKER_WINDOW_MS),
  };
}

/**
 * How an integration's requests are delivered. Sync unless `delivery.mode` is ASYNC; an async delivery
 * is always sent with an idempotency key (retry.idempotency_key_header, or Idempotency-Key), because it
 * is delivered at least once.
 */
export function deliveryOf(integration: Integration): EffectiveDelivery {
  const d = integration.delivery;
  return {
    async: d?.mode === DeliveryMode.DELIVERY_MODE_ASYNC,
    maxAttempts: clamp(d?.maxAttempts || DEFAULT_DELIVERY_MAX_ATTEMPTS, 1, MAX_DELIVERY_ATTEMPTS),
    maxAgeMs: clamp(d?.maxAgeMs || DEFAULT_DELIVERY_MAX_AGE_MS, MIN_DELIVERY_AGE_MS, MAX_DELIVERY_AGE_MS),
    idempotencyKeyHeader: integration.retry?.idempotencyKeyHeader || DEFAULT_IDEMPOTENCY_KEY_HEADER,
  };
}

/** True for an async integration; the one check the sync hot path pays. */
export function isAsyncDelivery(integration: Integration): boolean {
  return integration.delivery?.mode === DeliveryMode.DELIVERY_MODE_ASYNC;
}

/**
 * The integration's limits, or undefined when it sets none (the one check the unlimited hot path pays).
 * burst defaults to 1 (requests start evenly spaced), max_queue_ms to DEFAULT_LIMIT_MAX_QUEUE_MS, and
 * a wait never outlasts the call's budget.
 */
export function limitsOf(integration: Integration): EffectiveLimits | undefined {
  const l = integration.limits;
  if (l === undefined || (l.maxConcurrent === 0 && !(l.ratePerSecond > 0))) return undefined;
  const ratePerSecond = l.ratePerSecond > 0 ? l.ratePerSecond : 0;
  return {
    maxConcurrent: l.maxConcurrent,
    ratePerSecond,
    burst: ratePerSecond > 0 ? Math.max(1, l.burst) : 0,
    maxQueueMs: Math.min(l.maxQueueMs || DEFAULT_LIMIT_MAX_QUEUE_MS, MAX_TIMEOUT_MS),
  };
}

/** How long a mapped result is kept and who shares it (definition `cache`); see cacheOf. */
export interface EffectiveCache {
  readonly ttlSeconds: number;
  /** 'call': one call's invocations only; 'org': every call of the org. */
  readonly scope: 'call' | 'org';
}

/** The integration's response cache, or undefined when it has none (no TTL, or not a GET). */
export function cacheOf(integration: Integration): EffectiveCache | undefined {
  const c = integration.cache;
  if (c === undefined || c.ttlSeconds === 0 || integration.method !== HttpMethod.HTTP_METHOD_GET || isAsyncDelivery(integration)) return undefined;
  return { ttlSeconds: Math.min(c.ttlSeconds, MAX_CACHE_TTL_SECONDS), scope: c.scope === CacheScope.CACHE_SCOPE_ORG ? 'org' : 'call' };
}
