import { DeliveryMode, HttpMethod, Integration, INTEGRATION_KEY_PATTERN, INTEGRATION_KEY_RULE } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { isIdempotentMethod } from './http-method.js';
import { BODY_ENCODING_NAMES, CACHE_SCOPE_NAMES, DELIVERY_MODE_NAMES, HTTP_METHOD_NAMES, enumNameOf, isKnownEnumValue } from './enum-names.js';
import {
  MAX_BREAKER_WINDOW_MS,
  MAX_CACHE_TTL_SECONDS,
  MAX_CONTEXT_VALUES,
  MAX_DEFINITION_BYTES,
  MAX_DELIVERY_AGE_MS,
  MAX_DELIVERY_ATTEMPTS,
  MAX_DESCRIPTION_LENGTH,
  MAX_FIXED_VALUES,
  MAX_LIMIT_BURST,
  MAX_LIMIT_CONCURRENT,
  MAX_LIMIT_RATE_PER_SECOND,
  MAX_NAME_LENGTH,
  MAX_PARAMETERS,
  MAX_REDIRECTS_CAP,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_BASE_DELAY_MS,
  MAX_TIMEOUT_MS,
  MIN_DELIVERY_AGE_MS,
} from './limits.js';
import { checkArguments } from './argument-check.js';
import { isPlainObject } from './parameter-value.js';
import { parseUrlTemplate, type UrlTemplate } from './url-template.js';
import { checkCredentialId, validateAuth } from './validate-auth.js';
import { validateCallState } from './validate-call-state.js';
import { validateParameters } from './validate-parameters.js';
import { validatePlacement } from './validate-placement.js';
import { validateResponseMapping } from './validate-response-mapping.js';
import { validateBurden, validateSpeech } from './validate-speech.js';
import { validateTrustedValues } from './validate-trusted-values.js';

/** Integration keys: the tool name the model sees and the storage key. */

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function validateIdentity(i: Integration, problems: FieldProblem[]): void {
  if (i.key === '') problems.push({ field: 'key', message: 'must be set' });
  else if (!INTEGRATION_KEY_PATTERN.test(i.key)) {
    problems.push({ field: 'key', message: INTEGRATION_KEY_RULE });
  }
  for (const [field, value, max] of [
    ['name', i.name, MAX_NAME_LENGTH],
    ['description', i.description, MAX_DESCRIPTION_LENGTH],
  ] as const) {
    if (value.trim() === '') problems.push({ field, message: 'must be set' });
    else if (value.length > max) problems.push({ field, message: `must be at most ${max} characters` });
  }
}

function validateRequest(i: Integration, problems: FieldProblem[]): UrlTemplate | undefined {
  if (i.method === HttpMethod.HTTP_METHOD_UNSPECIFIED || !isKnownEnumValue(HTTP_METHOD_NAMES, i.method)) {
    problems.push({ field: 'method', message: `must be ${HTTP_METHOD_NAMES.choices}` });
  }
  if (!isKnownEnumValue(BODY_ENCODING_NAMES, i.bodyEncoding)) {
    problems.push({ field: 'body_encoding', message: `must be ${BODY_ENCODING_NAMES.choices}` });
  }
  if (i.maxRedirects > MAX_REDIRECTS_CAP) problems.push({ field: 'max_redirects', message: `must be at most ${MAX_REDIRECTS_CAP}` });
  checkCredentialId(i.signingCredentialId, 'signing_credential_id', problems);
  try {
    return parseUrlTemplate(i.urlTemplate);
  } catch (err) {
    problems.push({ field: 'url_template', message: message(err) });
    return undefined;
  }
}

function validateCounts(i: Integration, problems: FieldProblem[]): void {
  for (const [field, count, max] of [
    ['parameters', i.parameters.length, MAX_PARAMETERS],
    ['fixed_values', i.fixedValues.length, MAX_FIXED_VALUES],
    ['context_values', i.contextValues.length, MAX_CONTEXT_VALUES],
  ] as const) {
    if (count > max) problems.push({ field, message: `must have at most ${max} entries` });
  }
}

function validateRuntime(i: Integration, problems: FieldProblem[]): void {
  const timeouts = i.timeouts;
  if (timeouts !== undefined) {
    if (timeouts.totalMs > MAX_TIMEOUT_MS) problems.push({ field: 'timeouts.total_ms', message: `must be at most ${MAX_TIMEOUT_MS}` });
    if (timeouts.connectMs > MAX_TIMEOUT_MS) problems.push({ field: 'timeouts.connect_ms', message: `must be at most ${MAX_TIMEOUT_MS}` });
    else if (timeouts.totalMs > 0 && timeouts.connectMs > timeouts.totalMs) {
      problems.push({ field: 'timeouts.connect_ms', message: 'must not be greater than timeouts.total_ms' });
    }
  }
  const retry = i.retry;
  if (retry !== undefined) {
    if (retry.maxAttempts > MAX_RETRY_ATTEMPTS) {
      problems.push({ field: 'retry.max_attempts', message: `must be at most ${MAX_RETRY_ATTEMPTS} (attempts in total, including the first)` });
    } else if (retry.maxAttempts > 1 && !isIdempotentMethod(i.method) && retry.idempotencyKeyHeader === '') {
      // Repeating a POST could book twice; the executor retries one only with an idempotency key.
      const method = enumNameOf(HTTP_METHOD_NAMES, i.method) ?? 'this method';
      problems.push({ field: 'retry.max_attempts', message: `${method} is not idempotent: retries need retry.idempotency_key_header` });
    }
    if (retry.baseDelayMs > MAX_RETRY_BASE_DELAY_MS) {
      problems.push({ field: 'retry.base_delay_ms', message: `must be at most ${MAX_RETRY_BASE_DELAY_MS}` });
    }
  }
  const breaker = i.breaker;
  if (breaker !== undefined) {
    if (breaker.errorThresholdPercent > 100) problems.push({ field: 'breaker.error_threshold_percent', message: 'must be at most 100' });
    if (breaker.resetTimeoutMs > MAX_BREAKER_WINDOW_MS) problems.push({ field: 'breaker.reset_timeout_ms', message: `must be at most ${MAX_BREAKER_WINDOW_MS}` });
    if (breaker.rollingWindowMs > MAX_BREAKER_WINDOW_MS) problems.push({ field: 'breaker.rolling_window_ms', message: `must be at most ${MAX_BREAKER_WINDOW_MS}` });
  }
}

function validateDelivery(i: Integration, problems: FieldProblem[]): void {
  const d = i.delivery;
  if (d === undefined) return;
  if (!isKnownEnumValue(DELIVERY_MODE_NAMES, d.mode)) {
    problems.push({ field: 'delivery.mode', message: `must be ${DELIVERY_MODE_NAMES.choices}` });
    return;
  }
  const async = d.mode === DeliveryMode.DELIVERY_MODE_ASYNC;
  if (d.maxAttempts > 0 && !async) problems.push({ field: 'delivery.max_attempts', message: 'applies to async delivery only (set delivery.mode: async)' });
  else if (d.maxAttempts > MAX_DELIVERY_ATTEMPTS) {
    problems.push({ field: 'delivery.max_attempts', message: `must be at most ${MAX_DELIVERY_ATTEMPTS} (attempts in total, including the first)` });
  }
  if (d.maxAgeMs > 0 && !async) problems.push({ field: 'delivery.max_age_ms', message: 'applies to async delivery only (set delivery.mode: async)' });
  else if (d.maxAgeMs > MAX_DELIVERY_AGE_MS) problems.push({ field: 'delivery.max_age_ms', message: `must be at most ${MAX_DELIVERY_AGE_MS} (7 days)` });
  else if (d.maxAgeMs > 0 && d.maxAgeMs < MIN_DELIVERY_AGE_MS) problems.push({ field: 'delivery.max_age_ms', message: `must be at least ${MIN_DELIVERY_AGE_MS}` });
}

function validateLimits(i: Integration, problems: FieldProblem[]): void {
  const l = i.limits;
  if (l === undefined) return;
  if (l.maxConcurrent > MAX_LIMIT_CONCURRENT) problems.push({ field: 'limits.max_concurrent', message: `must be at most ${MAX_LIMIT_CONCURRENT}` });
  const rate = l.ratePerSecond;
  if (!Number.isFinite(rate) || rate < 0 || rate > MAX_LIMIT_RATE_PER_SECOND) {
    problems.push({ field: 'limits.rate_per_second', message: `must be a number from 0 to ${MAX_LIMIT_RATE_PER_SECOND} (0 for no rate limit)` });
  }
  const hasRate = Number.isFinite(rate) && rate > 0;
  if (l.burst > 0 && !hasRate) problems.push({ field: 'limits.burst', message: 'applies to a rate limit only (set limits.rate_per_second)' });
  else if (l.burst > MAX_LIMIT_BURST) problems.push({ field: 'limits.burst', message: `must be at most ${MAX_LIMIT_BURST}` });
  if (l.maxQueueMs > 0 && l.maxConcurrent === 0 && !hasRate) {
    problems.push({ field: 'limits.max_queue_ms', message: 'applies when a limit is set (limits.max_concurrent or limits.rate_per_second)' });
  } else if (l.maxQueueMs > MAX_TIMEOUT_MS) {
    problems.push({ field: 'limits.max_queue_ms', message: `must be at most ${MAX_TIMEOUT_MS} (a call never waits longer than its budget)` });
  }
}

function validateCache(i: Integration, problems: FieldProblem[]): void {
  const c = i.cache;
  if (c === undefined) return;
  if (!isKnownEnumValue(CACHE_SCOPE_NAMES, c.scope)) problems.push({ field: 'cache.scope', message: `must be ${CACHE_SCOPE_NAMES.choices}` });
  if (c.ttlSeconds > MAX_CACHE_TTL_SECONDS) problems.push({ field: 'cache.ttl_seconds', message: `must be at most ${MAX_CACHE_TTL_SECONDS} (a day)` });
  if (c.ttlSeconds === 0) return;
  // Only a lookup may be answered twice from one request: a repeated booking must reach the upstream.
  if (i.method !== HttpMethod.HTTP_METHOD_GET) problems.push({ field: 'cache', message: 'applies to read methods (GET) only' });
  if (i.delivery?.mode === DeliveryMode.DELIVERY_MODE_ASYNC) problems.push({ field: 'cache', message: 'does not apply to async delivery' });
}

function validateSampleArguments(i: Integration, problems: FieldProblem[]): void {
  const sample: unknown = i.sampleArguments;
  if (sample === undefined) return;
  if (!isPlainObject(sample)) {
    problems.push({ field: 'sample_arguments', message: 'must be an object of parameter names to values' });
    return;
  }
  // Test sends the sample arguments through the executor's own check: the same check here means a
  // definition that saves is a definition whose Test gets past its arguments.
  const check = checkArguments(i, sample);
  if (!check.ok) for (const p of check.problems) problems.push({ field: `sample_arguments.${p.field}`, message: p.message });
}

function validateSize(i: Integration, problems: FieldProblem[]): void {
  let size: number;
  try {
    size = Integration.encode(i).finish().length;
  } catch (err) {
    problems.push({ field: '(definition)', message: `cannot be encoded: ${message(err)}` });
    return;
  }
  if (size > MAX_DEFINITION_BYTES) {
    problems.push({ field: '(definition)', message: `is ${size} bytes encoded; the limit is ${MAX_DEFINITION_BYTES}` });
  }
}

/**
 * Every problem with a definition, each tied to the field as the integrator writes it
 * (`parameters[2].name`, `auth.credential_id`). An empty list means the registry may store it and
 * the executor may run it.
 */
export function validateIntegration(integration: Integration): FieldProblem[] {
  const problems: FieldProblem[] = [];
  validateIdentity(integration, problems);
  const template = validateRequest(integration, problems);
  validateCounts(integration, problems);
  validateParameters(integration.parameters, problems);
  validateTrustedValues(integration, problems);
  validateAuth(integration.auth, problems);
  validatePlacement(integration, template, problems);
  validateResponseMapping(integration.responseMapping, problems);
  const parameterNames = new Set(integration.parameters.map((p) => p.name).filter((n) => n !== ''));
  validateBurden(integration.burden, parameterNames, problems);
  validateSpeech(integration.speech, parameterNames, problems);
  validateRuntime(integration, problems);
  validateDelivery(integration, problems);
  validateLimits(integration, problems);
  validateCache(integration, problems);
  validateCallState(integration, problems);
  validateSampleArguments(integration, problems);
  validateSize(integration, problems);
  return problems;
}
