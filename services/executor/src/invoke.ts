import { randomUUID } from 'node:crypto';
import {
  Outcome,
  SpeechMode,
  type AuditEvent,
  type CallContext,
  type GateDecision,
  type Integration,
  type InvokeResponse,
  type LatencyBreakdown,
  type RecordedRequest,
  type RecordedResponse,
  type SpeechGuidance,
} from '@switchboard/contracts';
import { isAsyncDelivery, maxRedirectsOf, maxResultBytesOf, retryOf, speechOf, timeoutsOf, validateIntegration } from '@switchboard/definition';
import { SwitchboardError, describeFieldProblems } from '@switchboard/errors';
import type { Logger } from '@switchboard/logging';
import type { Dispatcher } from 'undici';
import { parseArgumentsJson, resolvePlacedValues, validateArguments } from './arguments.js';
import { applyAuth, type CredentialSource, type OAuthTokenProvider } from './auth/index.js';
import { accessTokenFor, credentialFor, oauthKey, signFor } from './authenticate.js';
import type { BreakerRegistry, BreakerState } from './breakers.js';
import type { BurdenGate } from './burden/index.js';
import type { DefinitionCache } from './definition-cache.js';
import type { DeliveryAcceptor } from './delivery/delivery-acceptor.js';
import { deliveryUnavailable } from './delivery/delivery-errors.js';
import { sendRequest, type SentResponse } from './http-sender.js';
import { classifyFailure } from './outcome.js';
import type { OutboundRequest } from './outbound-request.js';
import { redactArguments, redactRequest, sensitiveBodyKeys } from './redact.js';
import { buildRequest } from './request-builder.js';
import { mapResponse, parseResponseBody } from './response-mapper.js';

export interface InvokerDeps {
  readonly definitions: DefinitionCache;
  readonly credentials: CredentialSource;
  readonly oauth: OAuthTokenProvider;
  readonly gate: BurdenGate;
  readonly breakers: BreakerRegistry;
  readonly upstream: Dispatcher;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly testBodyMaxBytes: number;
  /** A fresh pool per Test so connect time can be measured honestly; shared pool for live calls. */
  readonly testDispatcher: () => { dispatcher: Dispatcher; connectMs: () => number; close: () => Promise<void> };
  /** Queues the requests of async integrations; without it an async Invoke answers DELIVERY_UNAVAILABLE. */
  readonly deliveries?: DeliveryAcceptor | undefined;
}

/** One invocation to run: a live Invoke or a Test (saved or unsaved definition). */
export interface InvocationInput {
  readonly orgId: string;
  readonly toolKey: string;
  readonly callId: string;
  readonly argumentsJson: string;
  readonly context: CallContext | undefined;
  readonly test: boolean;
  /** Absolute time (ms since epoch) by which the runtime needs the answer; Infinity when none. */
  readonly deadline: number;
  /** Test only: an unsaved definition. */
  readonly draft?: Integration | undefined;
  readonly traceparent?: string | undefined;
}

export interface InvocationResult {
  readonly response: InvokeResponse;
  readonly audit: AuditEvent;
  /** What Test shows; filled as far as the pipeline got. */
  readonly request: RecordedRequest | undefined;
  readonly upstreamResponse: RecordedResponse | undefined;
  readonly latency: LatencyBreakdown;
  readonly gateRequirement: string;
}

/** A non-2xx answer, kept whole so Test can show it; 4xx does not count against the breaker. */
class UpstreamStatusError extends SwitchboardError {
  constructor(readonly sent: SentResponse, message = `the upstream answered HTTP ${sent.status}`) {
    super(sent.status >= 500 ? 'UPSTREAM_SERVER_ERROR' : 'UPSTREAM_CLIENT_ERROR', message);
  }
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
// Kept back from the runtime's gRPC deadline so that a TIMEOUT outcome reaches it before the deadline
// does (the reply still has to be encoded, sent and read, and timers fire late on a busy event loop):
// a tenth of what is left, within these bounds.
const REPLY_RESERVE_MIN_MS = 50;
const REPLY_RESERVE_MAX_MS = 250;
const MIN_BUDGET_MS = 10;
/** A retry needs at least this much of the budget left after its back-off, or it is not worth sending. */
const RETRY_MIN_ATTEMPT_MS = 50;

/** The time the upstream may take: the definition's timeout, or less when the runtime needs the answer sooner. */
export function budgetFor(definitionMs: number, deadline: number, now: number): number {
  const remaining = deadline - now;
  const reserve = Math.min(REPLY_RESERVE_MAX_MS, Math.max(REPLY_RESERVE_MIN_MS, remaining / 10));
  // AbortSignal.timeout takes whole milliseconds only; gRPC deadlines need not be whole.
  return Math.max(MIN_BUDGET_MS, Math.floor(Math.min(definitionMs, remaining - reserve)));
}

function emptyResponse(invocationId: string): InvokeResponse {
  return {
    invocationId,
    outcome: Outcome.OUTCOME_UNSPECIFIED,
    reason: '',
    httpStatus: 0,
    resultJson: '',
    resultTruncated: false,
    summary: '',
    latencyMs: 0,
    agentMessage: '',
    detail: '',
    fieldErrors: [],
    speech: undefined,
    confirmation: undefined,
  };
}

function recordedResponse(sent: SentResponse, limit: number): RecordedResponse {
  const headers = Object.entries(sent.headers).flatMap(([name, v]) =>
    v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((value) => ({ name, value })),
  );
  const truncated = sent.body.length > limit;
  return { status: sent.status, headers, body: utf8Prefix(sent.body, limit), bodyTruncated: truncated };
}

/** At most `limit` bytes of the body as text, never ending in half a UTF-8 character. */
function utf8Prefix(body: Buffer, limit: number): string {
  if (body.length <= limit) return body.toString('utf8');
  let end = limit;
  // body[end] is the first byte left out: while it continues a character (10xxxxxx), leave that character out too.
  while (end > 0 && end > limit - 4 && ((body[end] ?? 0) & 0xc0) === 0x80) end--;
  return body.toString('utf8', 0, end);
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/**
 * The invoke pipeline: resolve → validate → gate → build → authenticate → send → map, with an audit
 * event describing whatever happened. Every failure becomes an outcome, never an exception.
 */
export class Invoker {
  constructor(private readonly deps: InvokerDeps) {}

  async run(input: InvocationInput): Promise<InvocationResult> {
    const started = performance.now();
    const invocationId = randomUUID();
    const response = emptyResponse(invocationId);
    const audit: AuditEvent = {
      schemaVersion: 1,
      invocationId,
      orgId: input.orgId,
      callId: input.callId,
      toolKey: input.toolKey,
      time: new Date(),
      test: input.test,
      gate: undefined,
      request: undefined,
      argumentsJson: '',
      outcome: Outcome.OUTCOME_UNSPECIFIED,
      reason: '',
      httpStatus: 0,
      latencyMs: 0,
      breakerState: input.test ? 'bypassed' : 'closed',
      retries: 0,
      resultBytes: 0,
      error: '',
      integrationRevision: 0,
    };
    const latency: LatencyBreakdown = { totalMs: 0, connectMs: 0, firstByteMs: 0, bodyMs: 0 };
    let recorded: RecordedRequest | undefined;
    let upstreamResponse: RecordedResponse | undefined;
    let gateRequirement = '';
    let testPool: ReturnType<InvokerDeps['testDispatcher']> | undefined;
    let definition: Integration | undefined;

    const finish = (): InvocationResult => {
      response.latencyMs = performance.now() - started;
      latency.totalMs = response.latencyMs;
      audit.outcome = response.outcome;
      audit.reason = response.reason;
      audit.httpStatus = response.httpStatus;
      audit.latencyMs = response.latencyMs;
      audit.resultBytes = Buffer.byteLength(response.resultJson);
      return { response, audit, request: recorded, upstreamResponse, latency, gateRequirement };
    };

    try {
      definition = this.resolve(input, audit);
      const integration = definition;
      const args = parseArgumentsJson(input.argumentsJson || (input.test ? JSON.stringify(integration.sampleArguments ?? {}) : ''));
      const validated = validateArguments(integration, args);
      if (!validated.ok) {
        throw new SwitchboardError('INVALID_ARGUMENTS', `the arguments are invalid: ${describeFieldProblems(validated.problems)}`, {
          fieldErrors: validated.problems,
        });
      }
      const values = validated.values;
      audit.argumentsJson = JSON.stringify(redactArguments(integration, values));

      const gate = await this.deps.gate.evaluate({
        integration,
        orgId: input.orgId,
        callId: input.callId,
        context: input.context,
        args: values,
        test: input.test,
      });
      audit.gate = gate.audit as GateDecision;
      response.speech = gate.speech as SpeechGuidance;
      if (gate.kind === 'block') {
        response.outcome = gate.outcome;
        response.reason = gate.reason;
        response.agentMessage = gate.agentMessage;
        response.detail = gate.detail;
        response.confirmation = gate.confirmation;
        return finish();
      }
      gateRequirement = gate.requirement;

      const context = input.context;
      const placed = resolvePlacedValues(integration, values, {
        callId: input.callId || undefined,
        callerNumber: context?.callerNumber || undefined,
        calledNumber: context?.calledNumber || undefined,
        orgId: input.orgId,
        orgTimeZone: context?.orgTimeZone || undefined,
      });
      const outbound = buildRequest(integration, placed, {
        correlation: input.test ? undefined : { callId: input.callId, orgId: input.orgId, toolKey: input.toolKey },
        requestId: invocationId,
        traceparent: input.traceparent,
      });
      if (!input.test && isAsyncDelivery(integration)) {
        // Queued without auth or signature: both are added when it is delivered (see delivery/).
        if (!this.deps.deliveries) throw deliveryUnavailable();
        await this.deps.deliveries.accept({ integration, outbound, deliveryId: invocationId, input, response, audit });
        return finish();
      }

      const budgetMs = budgetFor(timeoutsOf(integration).totalMs, input.deadline, Date.now());
      const signal = AbortSignal.timeout(budgetMs);
      const budgetEndsAt = performance.now() + budgetMs;
      const sensitiveBody = sensitiveBodyKeys(integration);

      const credential = await credentialFor(this.deps.credentials, input.orgId, integration);
      let accessToken = await accessTokenFor(this.deps.oauth, input.orgId, integration, credential, signal);
      applyAuth(outbound, integration.auth, credential, accessToken);
      // Sent on every attempt, the first included (an upstream recognises a repeat only by a key it has
      // seen), and part of the request the Test output shows.
      const idempotencyKeyHeader = retryOf(integration).idempotencyKeyHeader;
      if (idempotencyKeyHeader !== undefined) outbound.headers[idempotencyKeyHeader.toLowerCase()] = invocationId;
      await signFor(this.deps.credentials, input.orgId, integration, outbound);
      recorded = redactRequest(outbound, sensitiveBody);
      audit.request = recorded;

      if (input.test) testPool = this.deps.testDispatcher();
      const dispatcher = testPool?.dispatcher ?? this.deps.upstream;
      const breakerId = `${input.orgId}.${integration.key}`;
      const attempt = async (): Promise<SentResponse> => {
        const sent = await this.sendWithRetries(integration, outbound, dispatcher, signal, budgetEndsAt, audit);
        if (sent.status === 401 && accessToken !== undefined && credential) {
          // One refresh and one retry: the cached token may have been revoked early.
          await this.deps.oauth.invalidate(oauthKey(input.orgId, integration), accessToken);
          accessToken = await accessTokenFor(this.deps.oauth, input.orgId, integration, credential, signal);
          applyAuth(outbound, integration.auth, credential, accessToken);
          await signFor(this.deps.credentials, input.orgId, integration, outbound);
          audit.retries++;
          const again = await sendRequest(outbound, dispatcher, sendOptions(this.deps, integration, signal));
          if (again.status >= 400) throw new UpstreamStatusError(again);
          return again;
        }
        if (sent.status >= 400) throw new UpstreamStatusError(sent);
        return sent;
      };
      let sent: SentResponse;
      try {
        sent = input.test ? await attempt() : await this.deps.breakers.fire(breakerId, integration.breaker, attempt);
      } finally {
        if (!input.test) audit.breakerState = this.deps.breakers.state(breakerId) satisfies BreakerState;
      }
      latency.firstByteMs = sent.firstByteMs;
      latency.bodyMs = sent.totalMs - sent.firstByteMs;
      latency.connectMs = testPool?.connectMs() ?? 0;
      // Only Test shows the upstream's answer; a live call does not pay for copying it.
      if (input.test) upstreamResponse = recordedResponse(sent, this.deps.testBodyMaxBytes);
      response.httpStatus = sent.status;
      if (sent.status >= 300) {
        // Reported like any other status (reason HTTP_3xx), with what to change in the definition.
        const advice = maxRedirectsOf(integration) === 0 ? 'set max_redirects to follow it' : 'no more redirects are followed';
        throw new UpstreamStatusError(sent, `the upstream answered HTTP ${sent.status} (a redirect); ${advice}`);
      }
      const body = parseResponseBody(headerValue(sent.headers['content-type']), sent.body);
      const mapped = mapResponse(integration.responseMapping, body, values, maxResultBytesOf(integration));
      response.outcome = Outcome.OUTCOME_SUCCESS;
      response.reason = 'OK';
      response.resultJson = mapped.resultJson;
      response.resultTruncated = mapped.truncated;
      response.summary = mapped.summary;
      return finish();
    } catch (err) {
      if (err instanceof UpstreamStatusError) {
        if (input.test) upstreamResponse = recordedResponse(err.sent, this.deps.testBodyMaxBytes);
        response.httpStatus = err.sent.status;
        latency.firstByteMs = err.sent.firstByteMs;
        latency.bodyMs = err.sent.totalMs - err.sent.firstByteMs;
      }
      const failure = classifyFailure(err);
      response.outcome = failure.outcome;
      response.reason = err instanceof UpstreamStatusError ? `HTTP_${err.sent.status}` : failure.reason;
      response.detail = failure.detail;
      response.agentMessage = definition && failure.outcome === Outcome.OUTCOME_UPSTREAM_ERROR ? speechOf(definition).failurePhrase : failure.agentMessage;
      if (err instanceof SwitchboardError) response.fieldErrors = [...err.fieldErrors];
      audit.error = failure.detail;
      if (failure.outcome === Outcome.OUTCOME_INTERNAL) this.deps.logger.error({ err, invocationId }, 'invocation failed unexpectedly');
      if (!response.speech) response.speech = { mode: SpeechMode.SPEECH_MODE_UNSPECIFIED, startPhrase: '', delayPhrase: '', delayAfterMs: 0 };
      return finish();
    } finally {
      if (testPool) void testPool.close();
    }
  }

  private resolve(input: InvocationInput, audit: AuditEvent): Integration {
    if (input.draft) {
      const problems = validateIntegration(input.draft);
      if (problems.length > 0) {
        throw new SwitchboardError('INVALID_DEFINITION', `the definition is invalid: ${describeFieldProblems(problems)}`, { fieldErrors: problems });
      }
      return input.draft;
    }
    const cached = this.deps.definitions.get(input.orgId, input.toolKey);
    // The same answer for "another org's" and "no such" integration: existence must not leak across orgs.
    if (!cached) throw new SwitchboardError('NOT_FOUND', `integration ${input.toolKey} does not exist in org ${input.orgId}`);
    audit.integrationRevision = cached.revision;
    if (!cached.integration.enabled && !input.test) {
      throw new SwitchboardError('DISABLED', `integration ${input.toolKey} is disabled`);
    }
    return cached.integration;
  }

  private async sendWithRetries(
    integration: Integration,
    outbound: OutboundRequest,
    dispatcher: Dispatcher,
    signal: AbortSignal,
    budgetEndsAt: number,
    audit: AuditEvent,
  ): Promise<SentResponse> {
    // retryOf allows more than one attempt only for idempotent methods or with an idempotency key.
    const policy = retryOf(integration);
    const attempts = policy.maxAttempts;
    const options = sendOptions(this.deps, integration, signal);
    // Another attempt only if its back-off leaves it time to run: sleeping into the deadline would turn
    // the upstream's real answer (a 503) into a TIMEOUT and spend the caller's whole wait on nothing.
    const nextDelay = (attempt: number): number | undefined => {
      if (attempt >= attempts || signal.aborted) return undefined;
      const delay = backoff(policy.baseDelayMs, attempt);
      return performance.now() + delay + RETRY_MIN_ATTEMPT_MS <= budgetEndsAt ? delay : undefined;
    };
    for (let attempt = 1; ; attempt++) {
      let delay: number | undefined;
      try {
        const sent = await sendRequest(outbound, dispatcher, options);
        if (!RETRYABLE_STATUS.has(sent.status) || (delay = nextDelay(attempt)) === undefined) return sent;
      } catch (err) {
        const transient = err instanceof SwitchboardError && err.reason === 'UPSTREAM_UNREACHABLE';
        if (!transient || (delay = nextDelay(attempt)) === undefined) throw err;
      }
      audit.retries++;
      await sleep(delay, signal);
    }
  }
}

function sendOptions(deps: InvokerDeps, integration: Integration, signal: AbortSignal) {
  return { signal, maxBodyBytes: deps.maxBodyBytes, maxRedirects: maxRedirectsOf(integration) };
}

/** Full jitter: spreads retries of many callers so a recovering upstream is not hit in lockstep. */
function backoff(baseMs: number, attempt: number): number {
  return Math.random() * baseMs * 2 ** (attempt - 1);
}
