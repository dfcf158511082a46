import {
  BurdenLevel,
  DeliveryState,
  Outcome,
  SpeechMode,
  type AuditEvent,
  type InvokeResponse,
  type RecordedRequest,
  type RecordedResponse,
  type SpeechGuidance,
} from '@switchboard/contracts';
import { speechOf } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import { auditBase } from '../audit-base.js';
import { ACCEPTED_SUMMARY } from '../delivery/delivery-acceptor.js';
import { classifyFailure } from '../outcome.js';
import type { RequestSecrets } from '../secret-masker.js';
import { UpstreamStatusError, type SentResponse } from '../send/index.js';
import type { InvocationContext, InvocationResult } from './types.js';

/** What the agent is told to do while waiting when the run failed before the gate set it. */
const NO_SPEECH: SpeechGuidance = Object.freeze({ mode: SpeechMode.SPEECH_MODE_UNSPECIFIED, startPhrase: '', delayPhrase: '', delayAfterMs: 0 });

/** The parts of the answer that depend on how the run ended. */
interface Verdict {
  outcome: Outcome;
  reason: string;
  agentMessage: string;
  detail: string;
  /** The audit's error: the detail of a failure, else empty. */
  error: string;
  /** Set for failures only; every other response gets its own empty list. */
  fieldErrors?: InvokeResponse['fieldErrors'];
  resultJson: string;
  resultTruncated: boolean;
  summary: string;
  sent: SentResponse | undefined;
}

/**
 * The one place the InvokeResponse and the AuditEvent are built: from the final context of a run,
 * whichever step ended it.
 */
export function record(ctx: InvocationContext, testBodyMaxBytes: number): InvocationResult {
  const secrets = ctx.authenticated?.secrets;
  // The upstream's answer is masked as it arrives (send stage); the texts built from it and from errors here.
  const v = secrets === undefined || secrets.empty ? verdictOf(ctx) : masked(verdictOf(ctx), secrets);
  const recordedRequest = secrets === undefined || secrets.empty || ctx.request === undefined ? ctx.request : maskedRequest(ctx.request, secrets);
  const latencyMs = performance.now() - ctx.started;
  const { mode, invocationId, end } = ctx;
  const accepted = end?.kind === 'accepted';
  const response: InvokeResponse = {
    invocationId,
    outcome: v.outcome,
    reason: v.reason,
    httpStatus: v.sent?.status ?? 0,
    resultJson: v.resultJson,
    resultTruncated: v.resultTruncated,
    summary: v.summary,
    latencyMs,
    agentMessage: v.agentMessage,
    detail: v.detail,
    fieldErrors: v.fieldErrors ?? [],
    speech: ctx.speech ?? (end?.kind === 'failed' ? NO_SPEECH : undefined),
    confirmation: end?.kind === 'blocked' ? end.block.confirmation : undefined,
    callState: end?.kind === 'success' && ctx.stateWritten !== undefined ? shownState(ctx) : [],
  };
  // Filled in place: auditBase's object already has every field (one shape, no copy of it).
  const audit: AuditEvent = auditBase(ctx);
  audit.gate = ctx.gate;
  audit.request = recordedRequest;
  audit.argumentsJson = ctx.argumentsJson ?? '';
  audit.outcome = v.outcome;
  audit.reason = v.reason;
  audit.httpStatus = response.httpStatus;
  audit.latencyMs = latencyMs;
  audit.breakerState = ctx.breakerState ?? (mode.breaker ? 'closed' : 'bypassed');
  audit.retries = ctx.retries ?? 0;
  audit.resultBytes = Buffer.byteLength(v.resultJson);
  audit.error = v.error;
  if (ctx.cacheHit === true) audit.cacheHit = true;
  if (ctx.callState !== undefined) {
    // Names only: a value read or written never reaches the audit trail.
    audit.callState = {
      reads: [...ctx.callState.reads],
      writes: end?.kind === 'success' ? [...(ctx.stateWritten ?? [])] : [],
      overridden: [...(ctx.overridden ?? [])],
      verification: ctx.stateVerification ?? stateGateVerification(ctx),
    };
  }
  if (ctx.turn !== undefined && ctx.turn.waitedMs > 0) audit.limitWaitMs = Math.max(1, Math.round(ctx.turn.waitedMs));
  if (ctx.deliveryId !== undefined) {
    response.deliveryId = ctx.deliveryId;
    audit.deliveryId = ctx.deliveryId;
    audit.attempt = 0;
    if (accepted) audit.deliveryState = DeliveryState.DELIVERY_STATE_QUEUED;
  }
  const sent = v.sent;
  return {
    response,
    audit,
    request: recordedRequest,
    // Only Test shows the upstream's answer; a live call does not pay for copying it.
    upstreamResponse: sent && mode.showsUpstreamResponse ? recordedResponse(sent, testBodyMaxBytes) : undefined,
    latency: {
      totalMs: latencyMs,
      connectMs: ctx.connectMs ?? 0,
      firstByteMs: sent?.firstByteMs ?? 0,
      bodyMs: sent ? sent.totalMs - sent.firstByteMs : 0,
    },
    gateRequirement: ctx.gateRequirement ?? '',
    intent: ctx.intent === true,
  };
}

/** What a verdict holds unless its ending sets it. */
const base = Object.freeze({ agentMessage: '', detail: '', error: '', resultJson: '', resultTruncated: false, summary: '', sent: undefined });

function verdictOf(ctx: InvocationContext): Verdict {
  const end = ctx.end;
  switch (end?.kind) {
    case 'success':
      return {
        ...base,
        outcome: Outcome.OUTCOME_SUCCESS,
        reason: 'OK',
        resultJson: end.mapped.resultJson,
        resultTruncated: end.mapped.truncated,
        summary: end.mapped.summary,
        sent: ctx.sent,
      };
    case 'blocked':
      return { ...base, outcome: end.block.outcome, reason: end.block.reason, agentMessage: end.block.agentMessage, detail: end.block.detail };
    case 'accepted':
      return { ...base, outcome: Outcome.OUTCOME_ACCEPTED, reason: 'QUEUED', summary: ACCEPTED_SUMMARY, resultJson: JSON.stringify({ delivery_id: ctx.deliveryId }) };
    case 'failed':
    case undefined: {
      const err = end?.error;
      const failure = classifyFailure(err);
      const status = err instanceof UpstreamStatusError ? err : undefined;
      return {
        ...base,
        outcome: failure.outcome,
        reason: status ? status.httpReason : failure.reason,
        detail: failure.detail,
        error: failure.detail,
        agentMessage: ctx.integration && failure.outcome === Outcome.OUTCOME_UPSTREAM_ERROR ? speechOf(ctx.integration).failurePhrase : failure.agentMessage,
        fieldErrors: err instanceof SwitchboardError ? [...err.fieldErrors] : [],
        // A failure after the answer came (an unreadable body, a mapping that fails) still shows it.
        sent: status?.sent ?? ctx.sent,
      };
    }
  }
}

/**
 * A verdict's texts with every echo of the request's secrets masked. Almost always nothing is found:
 * then the verdict itself is returned, not a copy of it.
 */
function masked(v: Verdict, secrets: RequestSecrets): Verdict {
  const agentMessage = secrets.mask(v.agentMessage);
  const detail = secrets.mask(v.detail);
  const error = secrets.mask(v.error);
  const resultJson = secrets.mask(v.resultJson);
  const summary = secrets.mask(v.summary);
  const unchanged = agentMessage === v.agentMessage && detail === v.detail && error === v.error && resultJson === v.resultJson && summary === v.summary;
  if (unchanged && (v.fieldErrors === undefined || v.fieldErrors.length === 0)) return v;
  return {
    ...v,
    agentMessage,
    detail,
    error,
    fieldErrors: v.fieldErrors?.map((f) => ({ ...f, message: secrets.mask(f.message) })),
    resultJson,
    summary,
  };
}

/** The recorded request with the secrets masked; the same object when nothing in it needed masking. */
function maskedRequest(request: RecordedRequest, secrets: RequestSecrets): RecordedRequest {
  const url = secrets.mask(request.url);
  const body = secrets.mask(request.body);
  let headers = request.headers;
  for (let i = 0; i < request.headers.length; i++) {
    const h = request.headers[i] as RecordedRequest['headers'][number];
    const value = secrets.mask(h.value);
    if (value === h.value) continue;
    if (headers === request.headers) headers = request.headers.map((x) => ({ name: x.name, value: x.value }));
    headers[i] = { name: h.name, value };
  }
  if (url === request.url && body === request.body && headers === request.headers) return request;
  return { ...request, url, headers, body };
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

/** The call state a successful run wrote, as the model may see it: a sensitive value is only "set". */
function shownState(ctx: InvocationContext): InvokeResponse['callState'] {
  return (ctx.exported ?? []).map((e) => ({ name: e.name, shown: e.sensitive ? 'set' : JSON.stringify(e.value), sensitive: e.sensitive }));
}

/** How a `verified` tool was let through: the call state's verification, or the runtime's assertion. */
function stateGateVerification(ctx: InvocationContext): string {
  const gate = ctx.gate;
  if (gate === undefined || gate.level !== BurdenLevel.BURDEN_LEVEL_VERIFIED || gate.decision !== 'ALLOWED') return '';
  return gate.verificationMethod.startsWith('state:') ? `STATE:${gate.verificationMethod.slice('state:'.length)}` : 'RUNTIME';
}
