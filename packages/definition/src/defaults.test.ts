import { BurdenLevel, DeliveryMode, HttpMethod, Integration } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DELAY_PHRASE,
  DEFAULT_FAILURE_PHRASE,
  DEFAULT_START_PHRASE,
  breakerOf,
  burdenLevelOf,
  confirmationPromptSource,
  deliveryOf,
  cacheOf,
  isAsyncDelivery,
  limitsOf,
  maxResultBytesOf,
  retryOf,
  speechOf,
  timeoutsOf,
} from './defaults.js';
import { compileTextTemplate, renderTextTemplate } from './text-template.js';

/** fromJSON takes the proto JSON names and numeric enums, and fills every field left out with its zero. */
function integration(partial: Record<string, unknown>): Integration {
  return Integration.fromJSON({ key: 'k', name: 'Book cleaning', method: HttpMethod.HTTP_METHOD_GET, ...partial });
}

describe('defaults', () => {
  it('treats an unspecified burden level as conversational and refuses an unknown one', () => {
    expect(burdenLevelOf(integration({}))).toBe(BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL);
    expect(burdenLevelOf(integration({ burden: { level: BurdenLevel.BURDEN_LEVEL_VERIFIED } }))).toBe(BurdenLevel.BURDEN_LEVEL_VERIFIED);
    expect(() => burdenLevelOf(integration({ burden: { level: BurdenLevel.UNRECOGNIZED } }))).toThrow(/unknown burden level/);
  });

  it('keeps ambient tools silent and gives the others the default phrases', () => {
    expect(speechOf(integration({ burden: { level: BurdenLevel.BURDEN_LEVEL_AMBIENT }, speech: { startPhrase: 'Checking!' } }))).toEqual({
      silent: true,
      startPhrase: '',
      delayPhrase: '',
      delayAfterMs: 0,
      failurePhrase: DEFAULT_FAILURE_PHRASE,
    });
    expect(speechOf(integration({}))).toEqual({
      silent: false,
      startPhrase: DEFAULT_START_PHRASE,
      delayPhrase: DEFAULT_DELAY_PHRASE,
      delayAfterMs: 1500,
      failurePhrase: DEFAULT_FAILURE_PHRASE,
    });
    expect(DEFAULT_START_PHRASE).toBe('Let me check that for you.');
  });

  it('prefers the filler phrase, then the start phrase, then the default', () => {
    expect(speechOf(integration({ speech: { startPhrase: 'On it.' } })).startPhrase).toBe('On it.');
    expect(speechOf(integration({ burden: { fillerPhrase: 'Pulling that up.' }, speech: { startPhrase: 'On it.' } })).startPhrase).toBe('Pulling that up.');
    expect(speechOf(integration({})).startPhrase).toBe('Let me check that for you.');
  });

  it('builds a confirmation question from the name when the definition has none', () => {
    expect(confirmationPromptSource(integration({}))).toBe('Shall I go ahead and book cleaning?');
    expect(confirmationPromptSource(integration({ name: 'Create CRM lead.' }))).toBe('Shall I go ahead and create CRM lead?');
    expect(confirmationPromptSource(integration({ name: 'Send {{x}}' }))).toBe('Shall I go ahead and send x?');
    const own = integration({ burden: { confirmationPrompt: 'Book {{date}}?' } });
    expect(renderTextTemplate(compileTextTemplate(confirmationPromptSource(own)), { date: 'March 3rd' })).toBe('Book March 3rd?');
  });

  it('clamps timeouts and result size to their caps', () => {
    expect(timeoutsOf(integration({}))).toEqual({ totalMs: 5000, connectMs: 2000 });
    expect(timeoutsOf(integration({ timeouts: { totalMs: 90_000, connectMs: 60_000 } }))).toEqual({ totalMs: 30_000, connectMs: 30_000 });
    expect(timeoutsOf(integration({ timeouts: { totalMs: 1000 } }))).toEqual({ totalMs: 1000, connectMs: 1000 });
    expect(maxResultBytesOf(integration({}))).toBe(4096);
    expect(maxResultBytesOf(integration({ responseMapping: { maxResultBytes: 1_000_000 } }))).toBe(65_536);
  });

  it('retries a non-idempotent method only with an idempotency key', () => {
    expect(retryOf(integration({}))).toEqual({ maxAttempts: 1, baseDelayMs: 200, idempotencyKeyHeader: undefined });
    expect(retryOf(integration({ retry: { maxAttempts: 9 } })).maxAttempts).toBe(3);
    expect(retryOf(integration({ method: HttpMethod.HTTP_METHOD_POST, retry: { maxAttempts: 3 } })).maxAttempts).toBe(1);
    expect(retryOf(integration({ method: HttpMethod.HTTP_METHOD_POST, retry: { maxAttempts: 3, idempotencyKeyHeader: 'Idempotency-Key' } }))).toEqual({
      maxAttempts: 3,
      baseDelayMs: 200,
      idempotencyKeyHeader: 'Idempotency-Key',
    });
  });

  it('fills the breaker defaults and honours overrides', () => {
    expect(breakerOf(integration({}))).toEqual({ enabled: true, errorThresholdPercent: 50, volumeThreshold: 5, resetTimeoutMs: 10_000, rollingWindowMs: 10_000 });
    expect(breakerOf(integration({ breaker: { errorThresholdPercent: 20, disabled: true } }))).toMatchObject({ enabled: false, errorThresholdPercent: 20 });
  });

  it('delivers synchronously unless the mode is async, and gives async deliveries limits and a key header', () => {
    expect(deliveryOf(integration({}))).toEqual({ async: false, maxAttempts: 12, maxAgeMs: 86_400_000, idempotencyKeyHeader: 'Idempotency-Key' });
    expect(isAsyncDelivery(integration({}))).toBe(false);
    expect(isAsyncDelivery(integration({ delivery: { mode: DeliveryMode.DELIVERY_MODE_SYNC } }))).toBe(false);
    const async = integration({ delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 3, maxAgeMs: 60_000 }, retry: { idempotencyKeyHeader: 'X-Key' } });
    expect(isAsyncDelivery(async)).toBe(true);
    expect(deliveryOf(async)).toEqual({ async: true, maxAttempts: 3, maxAgeMs: 60_000, idempotencyKeyHeader: 'X-Key' });
    // Stored definitions are validated, but the executor clamps anyway.
    const wild = integration({ delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 5000, maxAgeMs: 1 } });
    expect(deliveryOf(wild)).toMatchObject({ maxAttempts: 100, maxAgeMs: 1000 });
  });

  it('has no limits unless max_concurrent or rate_per_second is set, and fills burst and max_queue_ms', () => {
    expect(limitsOf(integration({}))).toBeUndefined();
    expect(limitsOf(integration({ limits: { maxQueueMs: 500 } }))).toBeUndefined();
    expect(limitsOf(integration({ limits: { maxConcurrent: 5 } }))).toEqual({ maxConcurrent: 5, ratePerSecond: 0, burst: 0, maxQueueMs: 1000 });
    expect(limitsOf(integration({ limits: { ratePerSecond: 2.5 } }))).toEqual({ maxConcurrent: 0, ratePerSecond: 2.5, burst: 1, maxQueueMs: 1000 });
    expect(limitsOf(integration({ limits: { ratePerSecond: 10, burst: 4, maxQueueMs: 90_000 } }))).toMatchObject({ burst: 4, maxQueueMs: 30_000 });
  });

  it('caches GET lookups only, per call unless the scope is org', () => {
    expect(cacheOf(integration({}))).toBeUndefined();
    expect(cacheOf(integration({ cache: { ttlSeconds: 30 } }))).toEqual({ ttlSeconds: 30, scope: 'call' });
    expect(cacheOf(integration({ cache: { ttlSeconds: 30, scope: 2 } }))).toEqual({ ttlSeconds: 30, scope: 'org' });
    expect(cacheOf(integration({ method: HttpMethod.HTTP_METHOD_POST, cache: { ttlSeconds: 30 } }))).toBeUndefined();
  });
});
