import { Outcome, type AuditEvent, type GateDecision, type Integration, type RecordedRequest } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { breakerOf, deliveryOf, timeoutsOf } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import type { Dispatcher } from 'undici';
import type { DefinitionCache } from '../definition-cache.js';
import { classifyFailure } from '../outcome.js';
import { redactRequest } from '../redact.js';
import { loggableError, type RequestSecrets } from '../secret-masker.js';
import { authenticate, newTally, send, UpstreamStatusError, type SendStageDeps } from '../send/index.js';
import { attemptEvent } from './delivery-worker.js';
import { isRetryable, isRetryableStatus } from './retry-policy.js';
import { parseRetryAfter } from './retry-after.js';
import { deserializeRequest, gateOf, openDelivery, type QueuedDelivery, type SealedDelivery } from './queued-delivery.js';

export interface DeliveryAttemptDeps extends SendStageDeps {
  readonly definitions: DefinitionCache;
  /** The shared, egress-guarded pool of live calls. */
  readonly upstream: Dispatcher;
  readonly ring: KeyRing;
  /** Persists the attempt's write-ahead intent (resolves once durable) before the request goes out. */
  readonly auditIntent?: ((event: AuditEvent) => Promise<void>) | undefined;
}

/** What one attempt did, for the retry decision, the audit event and the dead letter. */
export interface AttemptReport {
  readonly outcome: Outcome;
  readonly reason: string;
  readonly httpStatus: number;
  /** For the integrator; never a secret. */
  readonly detail: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** The least wait before the next attempt (an open breaker). */
  readonly minDelayMs: number | undefined;
  readonly latencyMs: number;
  readonly request: RecordedRequest | undefined;
  readonly argumentsJson: string;
  readonly gate: GateDecision | undefined;
  readonly breakerState: string;
  readonly retries: number;
  readonly revision: number;
  /** An unexpected error (outcome INTERNAL), for the executor's log only. */
  readonly error?: unknown;
  /** A write-ahead intent was recorded before the request went out: the attempt's event completes it. */
  readonly intent?: boolean;
}

/**
 * One delivery attempt: open the sealed request, find the integration as it is now, then the send
 * stage of a live call (send/: credential by id, OAuth token, auth, signature, the integration's
 * breaker, the egress-guarded pool), plus the headers of a delivery: `x-request-id: <delivery
 * id>.<attempt>` and the idempotency key header carrying the delivery id. One request per attempt (and
 * one more after a 401 with a refreshed OAuth token); the queue does the retrying. Never throws.
 */
export async function attemptDelivery(deps: DeliveryAttemptDeps, queued: QueuedDelivery, attempt: number): Promise<AttemptReport> {
  const started = performance.now();
  let inside: SealedDelivery | undefined;
  let integration: Integration | undefined;
  let recorded: RecordedRequest | undefined;
  const tally = newTally({ breaker: true });
  let secrets: RequestSecrets | undefined;
  let revision = queued.revision;
  let intent = false;
  const report = (r: Pick<AttemptReport, 'outcome' | 'reason' | 'httpStatus' | 'detail' | 'retryable'> & Partial<AttemptReport>): AttemptReport => ({
    retryAfterMs: undefined,
    minDelayMs: undefined,
    ...r,
    latencyMs: performance.now() - started,
    request: recorded,
    argumentsJson: inside?.argumentsJson ?? '',
    gate: inside ? gateOf(inside) : undefined,
    breakerState: tally.breakerState,
    retries: tally.retries,
    revision,
    intent,
  });

  try {
    inside = openDelivery(deps.ring, queued);
    const cached = deps.definitions.get(queued.orgId, queued.toolKey);
    if (!cached) throw new SwitchboardError('NOT_FOUND', `integration ${queued.toolKey} no longer exists in org ${queued.orgId}`);
    if (!cached.integration.enabled) throw new SwitchboardError('DISABLED', `integration ${queued.toolKey} is disabled`);
    integration = cached.integration;
    revision = cached.revision;
    const def = integration;

    const outbound = deserializeRequest(inside.request);
    outbound.headers['x-request-id'] = `${queued.deliveryId}.${attempt}`;
    outbound.headers[deliveryOf(def).idempotencyKeyHeader.toLowerCase()] = queued.deliveryId;
    const signal = AbortSignal.timeout(timeoutsOf(def).totalMs);
    const authenticated = await authenticate(deps, queued.orgId, def, outbound, signal);
    secrets = authenticated.secrets;
    recorded = redactRequest(outbound, new Set(inside.sensitiveBodyKeys));
    if (deps.auditIntent !== undefined) {
      // Every attempt is a request that may change the customer's system: on disk before it goes out.
      const pending = report({ outcome: Outcome.OUTCOME_UNSPECIFIED, reason: '', httpStatus: 0, detail: '', retryable: false });
      await deps.auditIntent({ ...attemptEvent(queued, attempt, pending), latencyMs: 0, intent: true });
      intent = true;
    }
    const sent = await send(
      deps,
      { orgId: queued.orgId, integration: def, outbound, authenticated, dispatcher: deps.upstream, signal, retry: undefined, breaker: true },
      tally,
    );
    return report({ outcome: Outcome.OUTCOME_SUCCESS, reason: 'OK', httpStatus: sent.status, detail: '', retryable: false });
  } catch (err) {
    if (err instanceof UpstreamStatusError) {
      const status = err.sent.status;
      return report({
        outcome: Outcome.OUTCOME_UPSTREAM_ERROR,
        reason: err.httpReason,
        httpStatus: status,
        detail: err.message,
        retryable: isRetryableStatus(status),
        retryAfterMs: parseRetryAfter(err.sent.headers['retry-after'], Date.now()),
      });
    }
    const failure = classifyFailure(err);
    return report({
      outcome: failure.outcome,
      reason: failure.reason,
      httpStatus: 0,
      detail: err instanceof SyntaxError ? 'the sealed request could not be read' : failure.detail,
      retryable: !(err instanceof SyntaxError) && isRetryable(failure.reason, 0),
      minDelayMs: failure.reason === 'CIRCUIT_OPEN' && integration ? breakerOf(integration).resetTimeoutMs : undefined,
      ...(failure.outcome === Outcome.OUTCOME_INTERNAL ? { error: loggableError(err, secrets) } : {}),
    });
  }
}
