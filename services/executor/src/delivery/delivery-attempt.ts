import { Outcome, type GateDecision, type Integration, type RecordedRequest } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { breakerOf, deliveryOf, maxRedirectsOf, timeoutsOf } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import type { Dispatcher } from 'undici';
import { applyAuth, type CredentialSource, type OAuthTokenProvider } from '../auth/index.js';
import { accessTokenFor, credentialFor, oauthKey, signFor } from '../authenticate.js';
import type { BreakerRegistry } from '../breakers.js';
import type { DefinitionCache } from '../definition-cache.js';
import { sendRequest, type SentResponse } from '../http-sender.js';
import { classifyFailure } from '../outcome.js';
import { redactRequest } from '../redact.js';
import { isRetryable, isRetryableStatus } from './retry-policy.js';
import { parseRetryAfter } from './retry-after.js';
import { deserializeRequest, gateOf, openDelivery, type QueuedDelivery, type SealedDelivery } from './queued-delivery.js';

export interface DeliveryAttemptDeps {
  readonly definitions: DefinitionCache;
  readonly credentials: CredentialSource;
  readonly oauth: OAuthTokenProvider;
  readonly breakers: BreakerRegistry;
  /** The shared, egress-guarded pool of live calls. */
  readonly upstream: Dispatcher;
  readonly ring: KeyRing;
  readonly maxBodyBytes: number;
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
}

/** A non-2xx answer; 5xx counts against the breaker, 4xx does not (the reasons the breaker filters on). */
class DeliveryStatusError extends SwitchboardError {
  constructor(readonly sent: SentResponse) {
    super(sent.status >= 500 ? 'UPSTREAM_SERVER_ERROR' : 'UPSTREAM_CLIENT_ERROR', `the upstream answered HTTP ${sent.status}`);
  }
}

function headerOf(sent: SentResponse, name: string): string | string[] | undefined {
  return sent.headers[name];
}

/**
 * One delivery attempt: open the sealed request, find the integration as it is now, then the same
 * steps as a live call (credential by id, OAuth token, auth, signature, the integration's breaker, the
 * egress-guarded pool), plus the headers of a delivery: `x-request-id: <delivery id>.<attempt>` and the
 * idempotency key header carrying the delivery id. One request per attempt (and one more after a 401
 * with a refreshed OAuth token); the queue does the retrying. Never throws.
 */
export async function attemptDelivery(deps: DeliveryAttemptDeps, queued: QueuedDelivery, attempt: number): Promise<AttemptReport> {
  const started = performance.now();
  let inside: SealedDelivery | undefined;
  let integration: Integration | undefined;
  let recorded: RecordedRequest | undefined;
  let breakerState = 'closed';
  let retries = 0;
  let revision = queued.revision;
  const report = (r: Pick<AttemptReport, 'outcome' | 'reason' | 'httpStatus' | 'detail' | 'retryable'> & Partial<AttemptReport>): AttemptReport => ({
    retryAfterMs: undefined,
    minDelayMs: undefined,
    ...r,
    latencyMs: performance.now() - started,
    request: recorded,
    argumentsJson: inside?.argumentsJson ?? '',
    gate: inside ? gateOf(inside) : undefined,
    breakerState,
    retries,
    revision,
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
    const credential = await credentialFor(deps.credentials, queued.orgId, def);
    let accessToken = await accessTokenFor(deps.oauth, queued.orgId, def, credential, signal);
    applyAuth(outbound, def.auth, credential, accessToken);
    await signFor(deps.credentials, queued.orgId, def, outbound);
    const sensitive = new Set(inside.sensitiveBodyKeys);
    recorded = redactRequest(outbound, sensitive);

    const options = { signal, maxBodyBytes: deps.maxBodyBytes, maxRedirects: maxRedirectsOf(def) };
    const breakerId = `${queued.orgId}.${def.key}`;
    let sent: SentResponse;
    try {
      sent = await deps.breakers.fire(breakerId, def.breaker, async () => {
        let answer = await sendRequest(outbound, deps.upstream, options);
        if (answer.status === 401 && accessToken !== undefined && credential) {
          // As on a live call: one refresh and one more try, the cached token may have been revoked early.
          await deps.oauth.invalidate(oauthKey(queued.orgId, def), accessToken);
          accessToken = await accessTokenFor(deps.oauth, queued.orgId, def, credential, signal);
          applyAuth(outbound, def.auth, credential, accessToken);
          await signFor(deps.credentials, queued.orgId, def, outbound);
          retries++;
          answer = await sendRequest(outbound, deps.upstream, options);
        }
        if (answer.status >= 400) throw new DeliveryStatusError(answer);
        return answer;
      });
    } finally {
      breakerState = deps.breakers.state(breakerId);
    }
    if (sent.status >= 300) {
      return report({
        outcome: Outcome.OUTCOME_UPSTREAM_ERROR,
        reason: `HTTP_${sent.status}`,
        httpStatus: sent.status,
        detail: `the upstream answered HTTP ${sent.status} (a redirect), which a delivery does not follow unless max_redirects allows it`,
        retryable: false,
      });
    }
    return report({ outcome: Outcome.OUTCOME_SUCCESS, reason: 'OK', httpStatus: sent.status, detail: '', retryable: false });
  } catch (err) {
    if (err instanceof DeliveryStatusError) {
      const status = err.sent.status;
      return report({
        outcome: Outcome.OUTCOME_UPSTREAM_ERROR,
        reason: `HTTP_${status}`,
        httpStatus: status,
        detail: err.message,
        retryable: isRetryableStatus(status),
        retryAfterMs: parseRetryAfter(headerOf(err.sent, 'retry-after'), Date.now()),
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
      ...(failure.outcome === Outcome.OUTCOME_INTERNAL ? { error: err } : {}),
    });
  }
}
