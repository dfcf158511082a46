import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import {
  AuthType,
  ContextField,
  CredentialType,
  DeliveryMode,
  DeliveryState,
  HttpMethod,
  ParameterLocation as In,
  ParameterType,
  type CallContext,
  type Integration,
} from '@switchboard/contracts';
import { deliveriesListCommand, deliveriesRetryCommand } from '../../packages/cli/src/deliveries-command.js';
import { waitFor } from '../support/audit-files.js';
import type { Stack } from '../support/stack.js';
import { auditEvents, define, invoke, outcomeName, register, sleep, startExecutorStack, type DeepPartial } from '../executor/helpers.js';
import { verifySignature } from '../executor/verify-signature.js';
import { deliveryClient, deliveryEvents, FAST_DELIVERY_ENV, listFailed, rawStreamMessages, waitForState } from './helpers.js';
import { byIdempotencyKey, reply, startReceiver, type Receiver, type ReceivedRequest, type ReceiverHandler } from './receiver.js';

const API_KEY = 'sk_live_delivery_api_key_4d1e77';
const BEARER = 'bt_live_delivery_bearer_9a3c05';
const SIGNING = 'whsec_delivery_signing_61f2b8';
const SSN = '078-05-1120';
const CALLER = '+15557654321';
const HINT = 'hint_sensitive_query_72be';
const SECRETS = [API_KEY, BEARER, SIGNING, SSN, CALLER, HINT];

const context = (callerNumber: string): CallContext => ({ callerNumber, calledNumber: '', orgTimeZone: '', confirmationToken: '' });
const ASYNC = (maxAttempts: number, maxAgeMs = 60_000) => ({ mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts, maxAgeMs });
// Quick to recover, so a test with a receiver that was down does not wait out the 10 s default.
const BREAKER = { errorThresholdPercent: 50, volumeThreshold: 5, resetTimeoutMs: 500, rollingWindowMs: 10_000, disabled: false };

/**
 * Async delivery end to end: real registry, executor and audit logger on the shared NATS and Redis,
 * and a webhook receiver on loopback that the tests take down, slow down and script per path.
 */
describe('async delivery', () => {
  let receiver: Receiver;
  let stack: Stack;
  const handlers = new Map<string, ReceiverHandler>();

  const hook = (key: string, path: string, extra: DeepPartial<Integration> = {}): Integration =>
    define({
      key,
      method: HttpMethod.HTTP_METHOD_POST,
      urlTemplate: `${receiver.url}${path}`,
      parameters: [{ name: 'message', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, required: true }],
      delivery: ASYNC(20),
      breaker: BREAKER,
      ...extra,
    });

  const withKey = (requests: readonly ReceivedRequest[], id: string) => requests.filter((r) => r.headers['idempotency-key'] === id);
  const printer = () => {
    const lines: string[] = [];
    return { lines, print: (s: string) => lines.push(s) };
  };
  const cli = () => ({ org: stack.orgId, registry: `127.0.0.1:${stack.registry.port}`, executor: `127.0.0.1:${stack.executor.port}` });

  beforeAll(async () => {
    receiver = await startReceiver((req, res) => {
      const h = handlers.get(req.url.split('?')[0]!);
      if (h) return h(req, res);
      reply(res, 200, { ok: true });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', executorEnv: FAST_DELIVERY_ENV });
    await stack.registryClient.putCredential('hook-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    await stack.registryClient.putCredential('hook-bearer', CredentialType.CREDENTIAL_TYPE_BEARER, { token: BEARER });
    await stack.registryClient.putCredential('hook-sign', CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, { value: SIGNING });
    const alert: DeepPartial<Integration> = {
      parameters: [
        { name: 'message', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, required: true },
        { name: 'patient_ssn', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, sensitive: true },
      ],
      contextValues: [{ name: 'caller', location: In.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
      auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'hook-key', apiKeyName: 'X-Api-Key' },
      signingCredentialId: 'hook-sign',
    };
    await register(
      stack,
      hook('alert_staff', '/alerts', alert),
      hook('rate_limited', '/limited'),
      hook('rate_limited_date', '/limited-date'),
      hook('always_fails', '/failing', { delivery: ASYNC(3) }),
      hook('rejected', '/rejected'),
      hook('secret_fails', '/secret-fail', { ...alert, delivery: ASYNC(2) }),
      hook('bearer_hook', '/bearer', {
        parameters: [
          { name: 'message', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, required: true },
          { name: 'hint', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY, sensitive: true },
        ],
        auth: { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'hook-bearer' },
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('answers ACCEPTED at once and delivers later with auth, signature, correlation and idempotency headers', async () => {
    handlers.set('/alerts', async (_req, res) => {
      await sleep(1500);
      reply(res, 200, { ok: true });
    });
    const callId = randomUUID();
    const started = performance.now();
    const res = await invoke(stack, 'alert_staff', { message: 'Water leak in room 4', patient_ssn: SSN }, { callId, context: context(CALLER) });
    const answeredInMs = performance.now() - started;
    expect(outcomeName(res.outcome)).toBe('OUTCOME_ACCEPTED');
    expect(res.reason).toBe('QUEUED');
    const id = res.deliveryId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.invocationId).toBe(id);
    expect(JSON.parse(res.resultJson)).toEqual({ delivery_id: id });
    expect(res.summary).not.toBe('');
    // The receiver takes 1.5 s to answer; the call did not wait for it.
    expect(answeredInMs).toBeLessThan(1000);

    const events = await waitForState(stack, id, DeliveryState.DELIVERY_STATE_DELIVERED);
    const got = withKey(receiver.to('/alerts'), id);
    expect(got).toHaveLength(1);
    const req = got[0]!;
    expect(req.headers['x-api-key']).toBe(API_KEY);
    expect(req.headers['x-request-id']).toBe(`${id}.1`);
    expect(req.headers['x-allison-call-id']).toBe(callId);
    expect(req.headers['x-allison-org-id']).toBe(stack.orgId);
    expect(req.headers['x-allison-tool-key']).toBe('alert_staff');
    expect(verifySignature(SIGNING, req.method, req.url, req.headers, req.body)).toBe(true);
    expect(JSON.parse(req.body)).toEqual({ message: 'Water leak in room 4', patient_ssn: SSN, caller: CALLER });

    // One audit event for the acceptance and one per attempt, each with its own invocation id.
    const accepted = events.find((e) => e.attempt === 0)!;
    expect(accepted).toMatchObject({ invocationId: id, deliveryState: DeliveryState.DELIVERY_STATE_QUEUED, callId });
    const delivered = events.find((e) => e.attempt === 1)!;
    expect(delivered).toMatchObject({ invocationId: `${id}.1`, deliveryState: DeliveryState.DELIVERY_STATE_DELIVERED, httpStatus: 200, reason: 'OK', callId });
    expect(delivered.request?.headers.find((h) => h.name === 'x-api-key')?.value).toBe('[REDACTED]');
    expect(JSON.parse(delivered.argumentsJson)).toEqual({ message: 'Water leak in room 4', patient_ssn: '[REDACTED]' });
    for (const e of events) for (const s of SECRETS) expect(JSON.stringify(e)).not.toContain(s);
  });

  it('delivers every message exactly once per idempotency key to a receiver that was down for a while', async () => {
    handlers.delete('/alerts');
    await receiver.down();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await invoke(stack, 'alert_staff', { message: `alert ${i}` });
      expect(outcomeName(res.outcome)).toBe('OUTCOME_ACCEPTED');
      ids.push(res.deliveryId!);
    }
    // Down long enough for several failed attempts (and the breaker to open).
    await waitFor(async () => {
      const events = (await auditEvents(stack)).filter((e) => ids.includes(e.deliveryId ?? '') && e.deliveryState === DeliveryState.DELIVERY_STATE_RETRYING);
      return events.length >= 10 ? events : undefined;
    }, 'failed attempts while the receiver is down', 20_000);
    await receiver.up();

    for (const id of ids) await waitForState(stack, id, DeliveryState.DELIVERY_STATE_DELIVERED);
    const keys = byIdempotencyKey(receiver.to('/alerts').filter((r) => ids.includes(String(r.headers['idempotency-key']))));
    expect([...keys.keys()].sort()).toEqual([...ids].sort());
    ids.forEach((id, i) => {
      expect(keys.get(id)).toHaveLength(1);
      expect(JSON.parse(keys.get(id)![0]!.body)).toMatchObject({ message: `alert ${i}` });
    });
    const retried = (await deliveryEvents(stack, ids[0]!)).filter((e) => e.deliveryState === DeliveryState.DELIVERY_STATE_RETRYING);
    expect(retried.length).toBeGreaterThan(0);
    for (const e of retried) expect(['UPSTREAM_UNREACHABLE', 'CIRCUIT_OPEN']).toContain(e.reason);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    for (const [path, tool, header] of [
      ['/limited', 'rate_limited', () => '2'],
      ['/limited-date', 'rate_limited_date', () => new Date(Date.now() + 3000).toUTCString()],
    ] as const) {
      let calls = 0;
      handlers.set(path, (_req, res) => (++calls === 1 ? reply(res, 429, { error: 'slow down' }, { 'retry-after': header() }) : reply(res, 200, { ok: true })));
      const res = await invoke(stack, tool, { message: 'rate me' });
      const id = res.deliveryId!;
      const events = await waitForState(stack, id, DeliveryState.DELIVERY_STATE_DELIVERED);
      const [first, second] = withKey(receiver.to(path), id);
      const gap = second!.at - first!.at;
      // Never sooner than asked (a date is whole seconds, so "3 s from now" is at least 2 s), and not much later.
      expect(gap).toBeGreaterThanOrEqual(2000);
      expect(gap).toBeLessThan(5000);
      const limited = events.find((e) => e.attempt === 1)!;
      expect(limited).toMatchObject({ reason: 'HTTP_429', httpStatus: 429, deliveryState: DeliveryState.DELIVERY_STATE_RETRYING });
      expect(limited.retryDelayMs).toBeGreaterThanOrEqual(2000);
      expect(events.find((e) => e.attempt === 2)).toMatchObject({ deliveryState: DeliveryState.DELIVERY_STATE_DELIVERED });
    }
  });

  it('dead-letters a delivery that exhausts its attempts, lists it, and delivers it on `deliveries retry`', async () => {
    let healthy = false;
    handlers.set('/failing', (_req, res) => (healthy ? reply(res, 200, { ok: true }) : reply(res, 503, { error: 'maintenance' })));
    const res = await invoke(stack, 'always_fails', { message: 'page the on-call nurse' });
    const id = res.deliveryId!;
    const failed = await waitForState(stack, id, DeliveryState.DELIVERY_STATE_FAILED);
    expect(failed.filter((e) => (e.attempt ?? 0) > 0).map((e) => [e.attempt, e.reason, DeliveryState[e.deliveryState!]])).toEqual([
      [1, 'HTTP_503', 'DELIVERY_STATE_RETRYING'],
      [2, 'HTTP_503', 'DELIVERY_STATE_RETRYING'],
      [3, 'HTTP_503', 'DELIVERY_STATE_FAILED'],
    ]);
    expect(failed.find((e) => e.attempt === 3)!.error).toMatch(/all 3 attempts failed/);

    const listed = await waitFor(async () => (await listFailed(stack)).find((d) => d.deliveryId === id), 'the dead letter to be listed');
    expect(listed).toMatchObject({ toolKey: 'always_fails', attempts: 3, lastReason: 'HTTP_503', lastHttpStatus: 503, state: DeliveryState.DELIVERY_STATE_FAILED });
    const shown = printer();
    await deliveriesListCommand(cli(), { failed: true }, shown.print);
    expect(shown.lines.join('\n')).toContain(id);
    expect(shown.lines.join('\n')).toContain('HTTP_503');
    const asJson = printer();
    await deliveriesListCommand(cli(), { failed: true, tool: 'always_fails', json: true }, asJson.print);
    expect(JSON.parse(asJson.lines.join('\n'))).toEqual([expect.objectContaining({ deliveryId: id, attempts: 3, lastReason: 'HTTP_503' })]);
    await expect(deliveriesListCommand(cli(), {}, printer().print)).rejects.toThrow(/--failed/);

    healthy = true;
    const retried = printer();
    await deliveriesRetryCommand(cli(), id, retried.print);
    expect(retried.lines.join('\n')).toMatch(/queued again \(3 earlier attempts\)/);
    // The requeue's event and the attempts' reach the trail by different paths (the memory buffer; the
    // spool, for an attempt's outcome), so either may be written first: wait for both.
    const events = await waitFor(async () => {
      const all = await deliveryEvents(stack, id);
      const done = all.some((e) => e.deliveryState === DeliveryState.DELIVERY_STATE_DELIVERED) && all.some((e) => e.invocationId === `${id}.requeue.1`);
      return done ? all : undefined;
    }, `delivery ${id} to be requeued and delivered`);
    expect(events.find((e) => e.invocationId === `${id}.requeue.1`)).toMatchObject({ deliveryState: DeliveryState.DELIVERY_STATE_QUEUED, reason: 'REQUEUED' });
    // Attempt numbers go on, so every attempt's audit event keeps a unique invocation id.
    expect(events.find((e) => e.attempt === 4)).toMatchObject({ invocationId: `${id}.4`, deliveryState: DeliveryState.DELIVERY_STATE_DELIVERED });
    const sent = withKey(receiver.to('/failing'), id);
    expect(sent).toHaveLength(4);
    expect(sent.map((r) => r.headers['x-request-id'])).toEqual([1, 2, 3, 4].map((n) => `${id}.${n}`));
    expect((await listFailed(stack)).map((d) => d.deliveryId)).not.toContain(id);

    // Gone from the dead letters: a second retry finds nothing, as does another org.
    await expect(deliveriesRetryCommand(cli(), id, printer().print)).rejects.toMatchObject({ code: status.NOT_FOUND });
    const c = deliveryClient(stack);
    try {
      await expect(c.call('retryDelivery', { orgId: 'someone-else', deliveryId: randomUUID() }, 5000)).rejects.toMatchObject({ code: status.NOT_FOUND });
      await expect(c.call('retryDelivery', { orgId: stack.orgId, deliveryId: '../x' }, 5000)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    } finally {
      c.close();
    }
  });

  it('dead-letters at once what a repeat cannot fix (a 400)', async () => {
    handlers.set('/rejected', (_req, res) => reply(res, 400, { error: 'unknown room' }));
    const res = await invoke(stack, 'rejected', { message: 'room 999' });
    const events = await waitForState(stack, res.deliveryId!, DeliveryState.DELIVERY_STATE_FAILED);
    expect(events.filter((e) => (e.attempt ?? 0) > 0)).toHaveLength(1);
    const listed = await waitFor(async () => (await listFailed(stack, 'rejected')).find((d) => d.deliveryId === res.deliveryId), 'the dead letter');
    expect(listed.lastReason).toBe('HTTP_400');
    expect(listed.lastError).toMatch(/not one a repeat can fix/);
  });

  it('keeps every secret out of the queue, the dead letters and the audit stream, and adds them only when sending', async () => {
    handlers.set('/bearer', (_req, res) => reply(res, 503, {}));
    handlers.set('/secret-fail', (_req, res) => reply(res, 503, {}));
    const queued = await invoke(stack, 'bearer_hook', { message: 'secret hint inside', hint: HINT });
    const failing = await invoke(stack, 'secret_fails', { message: 'ssn inside', patient_ssn: SSN }, { context: context(CALLER) });
    expect(outcomeName(queued.outcome)).toBe('OUTCOME_ACCEPTED');

    // Read while they wait out their back-off: stored, not yet acked.
    const inQueue = await rawStreamMessages(stack.env['DELIVERY_STREAM']!);
    const waiting = inQueue.filter((m) => m.data.toString().includes(queued.deliveryId!));
    expect(waiting.length).toBeGreaterThan(0);
    await waitForState(stack, failing.deliveryId!, DeliveryState.DELIVERY_STATE_FAILED);
    const deadLetters = await rawStreamMessages(`KV_${stack.env['DELIVERY_DEAD_LETTER_BUCKET']!}`);
    expect(deadLetters.some((m) => m.data.toString().includes(failing.deliveryId!))).toBe(true);
    const audit = await rawStreamMessages(stack.env['AUDIT_STREAM']!);

    const stored = [...inQueue, ...deadLetters, ...audit];
    for (const m of stored) {
      const text = `${m.subject}\n${m.headers}\n${m.data.toString('latin1')}`;
      for (const secret of SECRETS) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(Buffer.from(secret).toString('base64'));
        expect(text).not.toContain(Buffer.from(secret).toString('base64url'));
        expect(text).not.toContain(encodeURIComponent(secret));
      }
    }
    // The receiver did get them: added at delivery time, from the credentials of that moment.
    const bearerSent = await waitFor(() => withKey(receiver.to('/bearer'), queued.deliveryId!)[0], 'the bearer request');
    expect(bearerSent.headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(bearerSent.url).toContain(`hint=${HINT}`);
    const secretSent = withKey(receiver.to('/secret-fail'), failing.deliveryId!)[0]!;
    expect(secretSent.headers['x-api-key']).toBe(API_KEY);
    expect(JSON.parse(secretSent.body)).toMatchObject({ patient_ssn: SSN, caller: CALLER });
    handlers.set('/bearer', (_req, res) => reply(res, 200, {}));
    await waitForState(stack, queued.deliveryId!, DeliveryState.DELIVERY_STATE_DELIVERED);
  });

  it('Test sends an async integration synchronously, and the sync path is unchanged', async () => {
    handlers.delete('/limited');
    const tested = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'rate_limited', argumentsJson: JSON.stringify({ message: 'hi' }) });
    expect(outcomeName(tested.result!.outcome)).toBe('OUTCOME_SUCCESS');
    expect(tested.result!.deliveryId ?? '').toBe('');
    expect(tested.response?.status).toBe(200);
  });
});
