import { BurdenLevel, type Integration } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { BURDEN_LEVEL_NAMES, isKnownEnumValue } from './enum-names.js';
import {
  DEFAULT_BREAKER_ERROR_THRESHOLD_PERCENT,
  DEFAULT_BREAKER_RESET_TIMEOUT_MS,
  DEFAULT_BREAKER_ROLLING_WINDOW_MS,
  DEFAULT_BREAKER_VOLUME_THRESHOLD,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DELAY_AFTER_MS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_BREAKER_WINDOW_MS,
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
