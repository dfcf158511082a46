import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiKeyPlacement,
  AuditMode,
  AuthType,
  BurdenLevel,
  CredentialType,
  DeliveryMode,
  DeliveryState,
  GateDecision,
  HttpMethod,
  Integration,
  Outcome,
  ParameterLocation,
  ParameterType,
  SpeechMode,
  type AuditEvent,
  type ConfirmationRequest,
  type SpeechGuidance,
} from '@switchboard/contracts';
import type { Reason } from '@switchboard/errors';
import { createLogger } from '@switchboard/logging';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthTokenKey, ResolvedCredential } from '../auth/index.js';
import { BreakerRegistry } from '../breakers.js';
import type { GateInput, GateResult } from '../burden/index.js';
import type { CachedDefinition } from '../definition-cache.js';
import type { AcceptInput, Acceptance } from '../delivery/delivery-acceptor.js';
import { queueFull, queueUnavailable } from '../delivery/delivery-errors.js';
import { createEgressPolicy, createGuardedConnector } from '../egress/index.js';
import { run } from './run.js';
import type { InvocationDeps, InvocationInput, InvocationResult } from './types.js';

/** What Integration.fromPartial accepts; ts-proto does not export its own DeepPartial. */
type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const ORG = 'org-1';

/** A loopback upstream: each path answers as scripted here, and every request is kept. */
interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}
const seen: Seen[] = [];
const scripts = new Map<string, number[]>();
let server: Server;
let base = '';
/** A loopback port nothing listens on. */
let closedPort = 0;

function answer(path: string, ...statuses: number[]): void {
  scripts.set(path, statuses);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    seen.push({ path, headers: req.headers });
    if (path === '/slow') return; // never answers
    if (path === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pad: 'x'.repeat(4_096) }));
      return;
    }
    if (path === '/not-json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"unfinished');
      return;
    }
    if (path === '/moved') {
      res.writeHead(302, { location: '/ok' }).end();
      return;
    }
    if (path === '/oauth' && req.headers.authorization !== 'Bearer token-2') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    const queue = scripts.get(path) ?? [200];
    const status = queue.length > 1 ? (queue.shift() ?? 200) : (queue[0] ?? 200);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ next_time: '09:30', path }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  seen.length = 0;
  scripts.clear();
});

function def(key: string, path: string, extra: DeepPartial<Integration> = {}): Integration {
  return Integration.fromPartial({
    key,
    enabled: true,
    method: HttpMethod.HTTP_METHOD_GET,
    urlTemplate: `${base}${path}`,
    responseMapping: { fields: [{ name: 'next_time', expression: 'next_time' }], summaryTemplate: 'Next at {{next_time}}.' },
    timeouts: { totalMs: 2_000 },
    ...extra,
  });
}

const SPEECH: SpeechGuidance = { mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'One moment.', delayPhrase: '', delayAfterMs: 0 };

/** The deps of a run, each a plain in-memory stand-in except the pool (a real guarded undici Agent). */
function fakeDeps(
  definitions: Integration[],
  options: { gate?: (input: GateInput) => Promise<GateResult>; acceptance?: Acceptance; maxBodyBytes?: number; limiter?: InvocationDeps['limiter'] } = {},
) {
  const byKey = new Map<string, CachedDefinition>(definitions.map((integration, i) => [integration.key, { orgId: ORG, integration, revision: i + 7 }]));
  const credentials = new Map<string, ResolvedCredential>([
    ['api', { type: CredentialType.CREDENTIAL_TYPE_API_KEY, fields: { value: 'key-secret' } }],
    ['oauth', { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, fields: { client_id: 'c', client_secret: 's' } }],
  ]);
  let issued = 0;
  const invalidated: string[] = [];
  const accepted: AcceptInput[] = [];
  const logged: string[] = [];
  /** Each write-ahead intent, with how many requests the upstream had seen when it was persisted. */
  const intents: { event: AuditEvent; upstreamHadSeen: number }[] = [];
  const policy = createEgressPolicy({ allow: ['127.0.0.1/32'] });
  const upstream = new Agent({ connect: createGuardedConnector({ policy, connectTimeoutMs: 1_000 }) });
  const breakers = new BreakerRegistry();
  const deps: InvocationDeps = {
    definitions: { get: (orgId, key) => (orgId === ORG ? byKey.get(key) : undefined) },
    credentials: { get: (orgId, id) => Promise.resolve(orgId === ORG ? credentials.get(id) : undefined) },
    oauth: {
      getToken: (_key: OAuthTokenKey) => Promise.resolve(`token-${++issued}`),
      invalidate: (_key: OAuthTokenKey, stale: string) => {
        invalidated.push(stale);
        return Promise.resolve();
      },
    },
    gate: {
      decide:
        options.gate ??
        ((input) =>
          Promise.resolve({
            kind: 'allow',
            speech: SPEECH,
            audit: GateDecision.fromPartial({ decision: input.test ? 'BYPASSED_FOR_TEST' : 'ALLOWED' }),
            requirement: 'none',
          })),
    },
    breakers,
    upstream,
    logger: createLogger('run-test', { level: 'error', destination: { write: (line: string) => void logged.push(line) } }),
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    testBodyMaxBytes: 16,
    testDispatcher: () => ({ dispatcher: upstream, connectMs: () => 1.5, close: () => Promise.resolve() }),
    deliveries: {
      accept: (a) => {
        accepted.push(a);
        return Promise.resolve(options.acceptance ?? { kind: 'queued' });
      },
    },
    auditIntent: (event) => {
      intents.push({ event, upstreamHadSeen: seen.length });
      return Promise.resolve();
    },
    limiter: options.limiter,
  };
  const close = async () => {
    breakers.shutdown();
    await upstream.close();
  };
  return { deps, invalidated, accepted, logged, intents, close, tokensIssued: () => issued };
}

function live(toolKey: string, extra: Partial<InvocationInput> = {}): InvocationInput {
  return { orgId: ORG, toolKey, callId: 'call-1', argumentsJson: '{}', context: undefined, test: false, deadline: Infinity, ...extra };
}

async function runOnce(definitions: Integration[], input: InvocationInput, options: Parameters<typeof fakeDeps>[1] = {}) {
  const f = fakeDeps(definitions, options);
  try {
    const result: InvocationResult = await run(f.deps, input);
    return { ...f, result, response: result.response, audit: result.audit };
  } finally {
    await f.close();
  }
}

describe('run: success', () => {
  it('resolves, checks, gates, builds, authenticates, sends and maps, and records it once in the response and the audit', async () => {
    const integration = def('look_up', '/ok', {
      auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
    });
    const { response, audit, result } = await runOnce([integration], live('look_up'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_SUCCESS, reason: 'OK', httpStatus: 200, resultJson: '{"next_time":"09:30"}', summary: 'Next at 09:30.', speech: SPEECH });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['x-api-key']).toBe('key-secret');
    expect(seen[0]?.headers['x-allison-call-id']).toBe('call-1');
    expect(audit).toMatchObject({
      invocationId: response.invocationId,
      orgId: ORG,
      toolKey: 'look_up',
      test: false,
      outcome: Outcome.OUTCOME_SUCCESS,
      reason: 'OK',
      httpStatus: 200,
      breakerState: 'closed',
      retries: 0,
      resultBytes: Buffer.byteLength(response.resultJson),
      error: '',
      integrationRevision: 7,
      argumentsJson: '{}',
    });
    expect(audit.gate?.decision).toBe('ALLOWED');
    expect(audit.request?.headers).toContainEqual({ name: 'x-api-key', value: '[REDACTED]' });
    expect(result.upstreamResponse).toBeUndefined();
    expect(result.gateRequirement).toBe('none');
    expect(result.latency.firstByteMs).toBeGreaterThan(0);
  });

  it('Test: runs a disabled integration with its sample arguments, bypasses the breaker, sends no call headers and shows the answer', async () => {
    const integration = def('look_up', '/ok', {
      enabled: false,
      parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }],
      sampleArguments: { q: 'sample' },
    });
    const { response, audit, result } = await runOnce([integration], live('look_up', { test: true, argumentsJson: '', callId: '' }));
    expect(response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(seen[0]?.headers['x-allison-org-id']).toBeUndefined();
    expect(audit).toMatchObject({ test: true, breakerState: 'bypassed', argumentsJson: '{"q":"sample"}' });
    expect(result.upstreamResponse?.status).toBe(200);
    expect(result.upstreamResponse?.bodyTruncated).toBe(true);
    expect(result.latency.connectMs).toBe(1.5);
    expect(result.request?.url).toContain('q=sample');
  });
});

describe('run: limits', () => {
  /** A limiter that gives every call its turn after `waitedMs`, and counts the turns given back. */
  const turnsAfter = (waitedMs: number) => {
    const released: number[] = [];
    const limiter: NonNullable<InvocationDeps['limiter']> = {
      acquire: () => Promise.resolve({ waitedMs, release: () => void released.push(waitedMs) }),
      backOff: () => undefined,
    };
    return { limiter, released };
  };

  it('records how long a limited call queued for its turn (limit_wait_ms), and gives the turn back', async () => {
    const { limiter, released } = turnsAfter(41.6);
    const { response, audit } = await runOnce([def('look_up', '/ok', { limits: { maxConcurrent: 1 } })], live('look_up'), { limiter });
    expect(response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(audit.limitWaitMs).toBe(42);
    expect(released).toEqual([41.6]);
  });

  it('records no wait for a call that got its turn at once', async () => {
    const { limiter } = turnsAfter(0);
    const { audit } = await runOnce([def('look_up', '/ok', { limits: { maxConcurrent: 1 } })], live('look_up'), { limiter });
    expect(audit.limitWaitMs).toBeUndefined();
  });
});

describe('run: each way a run ends early', () => {
  it('NOT_FOUND for an integration the org does not have', async () => {
    const { response, audit } = await runOnce([], live('nope'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_NOT_FOUND, reason: 'NOT_FOUND', httpStatus: 0 });
    expect(response.speech?.mode).toBe(SpeechMode.SPEECH_MODE_UNSPECIFIED);
    expect(audit).toMatchObject({ outcome: Outcome.OUTCOME_NOT_FOUND, error: response.detail, integrationRevision: 0 });
    expect(seen).toHaveLength(0);
  });

  it('DISABLED for a disabled integration on a live call, with its revision in the audit', async () => {
    const { response, audit } = await runOnce([def('off', '/ok', { enabled: false })], live('off'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_DISABLED, reason: 'DISABLED' });
    expect(audit.integrationRevision).toBe(7);
    expect(seen).toHaveLength(0);
  });

  it('INVALID_DEFINITION for an unsaved definition that does not validate, naming the fields', async () => {
    const draft = Integration.fromPartial({ key: 'draft', method: HttpMethod.HTTP_METHOD_GET, urlTemplate: 'not a url' });
    const { response } = await runOnce([], live('draft', { test: true, draft }));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_INVALID_ARGUMENTS, reason: 'INVALID_DEFINITION' });
    expect(response.fieldErrors.length).toBeGreaterThan(0);
  });

  it('INVALID_ARGUMENTS with the field errors, before anything is sent', async () => {
    const integration = def('needs', '/ok', {
      parameters: [{ name: 'patient_id', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }],
    });
    const { response, audit } = await runOnce([integration], live('needs'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_INVALID_ARGUMENTS, reason: 'INVALID_ARGUMENTS' });
    expect(response.fieldErrors.map((e) => e.field)).toEqual(['patient_id']);
    expect(audit.argumentsJson).toBe('');
    expect(seen).toHaveLength(0);
  });

  it.each<[Outcome, Reason, ConfirmationRequest | undefined]>([
    [Outcome.OUTCOME_POLICY_BLOCKED, 'CALLER_REQUEST_REQUIRED', undefined],
    [Outcome.OUTCOME_CONFIRMATION_REQUIRED, 'CONFIRMATION_REQUIRED', { token: 'tok', prompt: 'Shall I book it?', expiresAtUnixMs: 1 }],
    [Outcome.OUTCOME_VERIFICATION_REQUIRED, 'VERIFICATION_REQUIRED', undefined],
  ])("a gate's block (%s): its outcome, sentence, confirmation and speech, and the gate's audit", async (outcome, reason, confirmation) => {
    const silent: SpeechGuidance = { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 };
    // What the gate decides is what the caller gets: the response repeats these fields as they are.
    const shown = { outcome, reason, agentMessage: 'Not yet.', detail: `blocked: ${reason}`, confirmation, speech: silent };
    const audited = GateDecision.fromPartial({ level: BurdenLevel.BURDEN_LEVEL_CONFIRMED, decision: 'BLOCKED' });
    const { response, audit } = await runOnce([def('book', '/ok')], live('book'), {
      gate: () => Promise.resolve({ kind: 'block', ...shown, audit: audited }),
    });
    expect(response).toMatchObject(shown);
    expect(audit).toMatchObject({ outcome, reason, error: '', httpStatus: 0 });
    expect(audit.gate?.decision).toBe('BLOCKED');
    expect(seen).toHaveLength(0);
  });

  it('INTERNAL for an unexpected error, logged with its invocation id', async () => {
    const { response, logged } = await runOnce([def('boom', '/ok')], live('boom'), { gate: () => Promise.reject(new Error('gate exploded')) });
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_INTERNAL, reason: 'INTERNAL' });
    expect(logged.join('')).toContain(response.invocationId);
    expect(logged.join('')).toContain('gate exploded');
  });

  it("masks the request's secrets in the log line of an unexpected error", async () => {
    const auth = { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' };
    const f = fakeDeps([def('leaky', '/ok', { auth })]);
    // A bug whose message quotes the credential it was handling.
    const breakers = { fire: () => Promise.reject(new Error('bug while holding key-secret')), state: () => 'closed' as const };
    try {
      const { response } = await run({ ...f.deps, breakers: breakers as unknown as BreakerRegistry }, live('leaky'));
      expect(response).toMatchObject({ outcome: Outcome.OUTCOME_INTERNAL, reason: 'INTERNAL' });
      expect(f.logged.join('')).toContain('bug while holding [REDACTED]');
      expect(f.logged.join('')).not.toContain('key-secret');
    } finally {
      await f.close();
    }
  });
});

describe('run: async integrations', () => {
  const async_ = (key: string) => def(key, '/ok', { method: HttpMethod.HTTP_METHOD_POST, delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC } });

  it('ACCEPTED with the delivery id, queued unauthenticated, recorded as QUEUED', async () => {
    const integration = def('notify', '/ok', {
      method: HttpMethod.HTTP_METHOD_POST,
      delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC },
      auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
    });
    const { response, audit, accepted } = await runOnce([integration], live('notify'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_ACCEPTED, reason: 'QUEUED', deliveryId: response.invocationId });
    expect(JSON.parse(response.resultJson)).toEqual({ delivery_id: response.invocationId });
    expect(audit).toMatchObject({ deliveryId: response.invocationId, attempt: 0, deliveryState: DeliveryState.DELIVERY_STATE_QUEUED });
    expect(audit.request?.method).toBe('POST');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.outbound.headers['x-api-key']).toBeUndefined();
    expect(accepted[0]).toMatchObject({ deliveryId: response.invocationId, revision: 7, callId: 'call-1' });
    expect(seen).toHaveLength(0);
  });

  it('QUEUE_FULL when the queue refuses it: no delivery id, the request still recorded', async () => {
    const { response, audit } = await runOnce([async_('notify')], live('notify'), { acceptance: { kind: 'refused', error: queueFull() } });
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_QUEUE_FULL, reason: 'DELIVERY_QUEUE_FULL' });
    expect(response.deliveryId).toBeUndefined();
    expect(audit.deliveryId).toBeUndefined();
    expect(audit.request).toBeDefined();
  });

  it('keeps the delivery id when the queue did not answer: the delivery may yet arrive', async () => {
    const { response, audit } = await runOnce([async_('notify')], live('notify'), {
      acceptance: { kind: 'unknown', error: queueUnavailable('d', new Error('no PubAck')) },
    });
    expect(response.reason).toBe('DELIVERY_QUEUE_UNAVAILABLE');
    expect(response.deliveryId).toBe(response.invocationId);
    expect(audit).toMatchObject({ deliveryId: response.invocationId, attempt: 0 });
    expect(audit.deliveryState).toBeUndefined();
  });

  it('DELIVERY_UNAVAILABLE on an executor without a queue; Test sends an async integration at once', async () => {
    const f = fakeDeps([async_('notify')]);
    try {
      const noQueue = await run({ ...f.deps, deliveries: undefined }, live('notify'));
      expect(noQueue.response.reason).toBe('DELIVERY_UNAVAILABLE');
      const tested = await run(f.deps, live('notify', { test: true }));
      expect(tested.response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
      expect(f.accepted).toHaveLength(0);
      expect(seen).toHaveLength(1);
    } finally {
      await f.close();
    }
  });
});

describe('run: the send stage', () => {
  it('AUTH_FAILED when the credential is missing, before anything is sent', async () => {
    const integration = def('locked', '/ok', { auth: { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'absent' } });
    const { response } = await runOnce([integration], live('locked'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_AUTH_FAILED, reason: 'AUTH_FAILED' });
    expect(seen).toHaveLength(0);
  });

  it("UPSTREAM_ERROR HTTP_404 with the definition's failure phrase", async () => {
    answer('/missing', 404);
    const { response, audit } = await runOnce([def('gone', '/missing', { speech: { failurePhrase: 'That did not work.' } })], live('gone'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_404', httpStatus: 404, agentMessage: 'That did not work.' });
    expect(audit).toMatchObject({ httpStatus: 404, reason: 'HTTP_404', retries: 0 });
  });

  it('retries a GET on 503 within retry.max_attempts and counts the retries', async () => {
    answer('/flaky', 503, 503, 200);
    const { response, audit } = await runOnce([def('flaky', '/flaky', { retry: { maxAttempts: 3, baseDelayMs: 5 } })], live('flaky'));
    expect(response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(audit.retries).toBe(2);
    expect(seen).toHaveLength(3);
  });

  it('after a 401, drops the OAuth token, fetches another and sends once more', async () => {
    const integration = def('crm', '/oauth', { auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'oauth' } });
    const { response, audit, invalidated } = await runOnce([integration], live('crm'));
    expect(response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(invalidated).toEqual(['token-1']);
    expect(audit.retries).toBe(1);
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('HTTP_302 for a redirect the definition does not follow; followed when max_redirects allows', async () => {
    const stopped = await runOnce([def('moved', '/moved')], live('moved'));
    expect(stopped.response).toMatchObject({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_302', httpStatus: 302 });
    expect(stopped.response.detail).toContain('set max_redirects');
    seen.length = 0;
    const followed = await runOnce([def('moved', '/moved', { maxRedirects: 1 })], live('moved'));
    expect(followed.response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(seen.map((s) => s.path)).toEqual(['/moved', '/ok']);
  });

  it('TIMEOUT when the upstream does not answer within the budget', async () => {
    const { response } = await runOnce([def('slow', '/slow', { timeouts: { totalMs: 150 } })], live('slow'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_TIMEOUT, reason: 'TIMEOUT' });
  });

  it('UPSTREAM_UNREACHABLE when nothing listens', async () => {
    const integration = Integration.fromPartial({ ...def('down', '/ok'), urlTemplate: `http://127.0.0.1:${closedPort}/ok` });
    const { response } = await runOnce([integration], live('down'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'UPSTREAM_UNREACHABLE' });
  });

  it('EGRESS_BLOCKED for an address outside the allow list, never connected to', async () => {
    const integration = Integration.fromPartial({ ...def('elsewhere', '/ok'), urlTemplate: 'http://127.0.0.2:9/ok' });
    const { response } = await runOnce([integration], live('elsewhere'));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_EGRESS_BLOCKED, reason: 'EGRESS_BLOCKED' });
  });

  it('CIRCUIT_OPEN once failures open the breaker, without reaching the upstream', async () => {
    answer('/broken', 500);
    const integration = def('broken', '/broken', { breaker: { errorThresholdPercent: 1, volumeThreshold: 1, resetTimeoutMs: 60_000, rollingWindowMs: 10_000 } });
    const f = fakeDeps([integration]);
    try {
      const first = await run(f.deps, live('broken'));
      expect(first.response.reason).toBe('HTTP_500');
      expect(first.audit.breakerState).toBe('open');
      const second = await run(f.deps, live('broken'));
      expect(second.response).toMatchObject({ outcome: Outcome.OUTCOME_CIRCUIT_OPEN, reason: 'CIRCUIT_OPEN' });
      expect(seen).toHaveLength(1);
    } finally {
      await f.close();
    }
  });

  it('RESPONSE_TOO_LARGE for a body over the limit', async () => {
    const { response } = await runOnce([def('big', '/big')], live('big'), { maxBodyBytes: 1_024 });
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_RESPONSE_TOO_LARGE, reason: 'RESPONSE_TOO_LARGE' });
  });

  it('MAPPING_FAILED for a body that does not parse, keeping the HTTP status that came with it', async () => {
    const { response, result } = await runOnce([def('garbled', '/not-json')], live('garbled', { test: true }));
    expect(response).toMatchObject({ outcome: Outcome.OUTCOME_MAPPING_FAILED, reason: 'MAPPING_FAILED', httpStatus: 200 });
    expect(result.upstreamResponse?.status).toBe(200);
  });
});

describe('run: write-ahead intent', () => {
  it('persists the intent of a write before the request goes out, and the result says the outcome completes it', async () => {
    const integration = def('book', '/ok', { method: HttpMethod.HTTP_METHOD_POST });
    const { response, audit, result, intents } = await runOnce([integration], live('book'));
    expect(response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(seen).toHaveLength(1);
    expect(intents).toHaveLength(1);
    expect(intents[0]?.upstreamHadSeen).toBe(0);
    expect(intents[0]?.event).toMatchObject({ invocationId: audit.invocationId, orgId: ORG, toolKey: 'book', intent: true, outcome: Outcome.OUTCOME_UNSPECIFIED });
    expect(intents[0]?.event.request?.method).toBe('POST');
    expect(result.intent).toBe(true);
    expect(audit.intent).toBe(false);
  });

  it('writes no intent for a read, nor for a write stopped before it was sent', async () => {
    const read = await runOnce([def('look_up', '/ok')], live('look_up'));
    expect(read.intents).toHaveLength(0);
    expect(read.result.intent).toBe(false);
    const blocked = await runOnce([def('book', '/ok', { method: HttpMethod.HTTP_METHOD_POST })], live('book', { argumentsJson: 'not json' }));
    expect(blocked.response.outcome).toBe(Outcome.OUTCOME_INVALID_ARGUMENTS);
    expect(blocked.intents).toHaveLength(0);
  });

  it('writes one for a read of an integration with audit: strict', async () => {
    const { intents, result } = await runOnce([def('look_up', '/ok', { audit: AuditMode.AUDIT_MODE_STRICT })], live('look_up'));
    expect(intents).toHaveLength(1);
    expect(intents[0]?.upstreamHadSeen).toBe(0);
    expect(result.intent).toBe(true);
  });

  it('sends nothing when the intent cannot be persisted', async () => {
    const f = fakeDeps([def('book', '/ok', { method: HttpMethod.HTTP_METHOD_POST })]);
    const deps: InvocationDeps = { ...f.deps, auditIntent: () => Promise.reject(new Error('disk gone')) };
    try {
      const { response } = await run(deps, live('book'));
      expect(response.outcome).toBe(Outcome.OUTCOME_INTERNAL);
      expect(seen).toHaveLength(0);
    } finally {
      await f.close();
    }
  });
});

describe('run: call state', () => {
  /** An in-memory call state that counts every Redis-shaped operation it is asked for. */
  function memoryState(values: Record<string, { value: unknown; sensitive: boolean }> = {}) {
    const ops: string[] = [];
    const written: { values: readonly { name: string; value: unknown }[]; verification?: unknown }[] = [];
    const store = {
      read: () => {
        ops.push('read');
        return Promise.resolve({ failures: 0, value: (name: string) => values[name], verifiedLevels: () => [] } as never);
      },
      write: (_org: string, _call: string, w: (typeof written)[number]) => {
        ops.push('write');
        written.push(w);
        return Promise.resolve();
      },
      fail: () => {
        ops.push('fail');
        return Promise.resolve(1);
      },
    };
    return { ops, written, deps: { store, maxVerificationFailures: 3, acceptsRuntimeVerification: () => true } };
  }

  async function runWithState(definitions: Integration[], input: InvocationInput, state: ReturnType<typeof memoryState>) {
    const f = fakeDeps(definitions);
    try {
      return await run({ ...f.deps, callState: state.deps }, input);
    } finally {
      await f.close();
    }
  }

  it('never touches the call state for a definition that does not use it', async () => {
    const state = memoryState();
    const result = await runWithState([def('look_up', '/ok')], live('look_up'), state);
    expect(result.response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(state.ops).toEqual([]);
    expect(result.audit.callState).toBeUndefined();
    expect(result.response.callState).toEqual([]);
  });

  it('writes exports after a successful answer without reading first, and shows them by name', async () => {
    const state = memoryState();
    const lookup = def('look_up', '/ok', { responseMapping: { fields: [{ name: 'next_time', expression: 'next_time' }], exports: { slot: 'next_time' } } });
    const result = await runWithState([lookup], live('look_up'), state);
    expect(state.ops).toEqual(['write']);
    expect(state.written[0]?.values).toEqual([{ name: 'slot', value: '09:30', sensitive: false }]);
    expect(result.response.callState).toEqual([{ name: 'slot', shown: '"09:30"', sensitive: false }]);
    expect(result.audit.callState).toEqual({ reads: [], writes: ['slot'], overridden: [], verification: '' });
  });

  it('sends a sensitive state value but records it nowhere', async () => {
    const state = memoryState({ slot: { value: 'secret-slot-value', sensitive: true } });
    const book = def('book', '/ok/{slot}', { parameters: [{ name: 'slot', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_PATH, required: true, from: 'call.slot' }] });
    const result = await runWithState([book], live('book', { argumentsJson: '{"slot":"model-says"}' }), state);
    expect(result.response.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(seen[0]?.path).toBe('/ok/secret-slot-value');
    expect(JSON.stringify(result.audit)).not.toContain('secret-slot-value');
    expect(JSON.stringify(result.response)).not.toContain('secret-slot-value');
    expect(result.audit.callState).toMatchObject({ reads: ['slot'], overridden: ['slot'] });
  });
});
