import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryMode, DeliveryState, HttpMethod, Outcome, ParameterLocation as In, ParameterType, type Integration } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { startService, type ServiceProcess, type Stack } from '../support/stack.js';
import { define, invoke, outcomeName, register, sleep, startExecutorStack, type DeepPartial } from '../executor/helpers.js';
import { deliveryEvents, FAST_DELIVERY_ENV, streamMessageCount, waitForState } from './helpers.js';
import { byIdempotencyKey, reply, startReceiver, type Receiver } from './receiver.js';

function hook(receiver: Receiver, key: string, path: string, extra: DeepPartial<Integration> = {}): Integration {
  return define({
    key,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: `${receiver.url}${path}`,
    parameters: [{ name: 'message', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, required: true }],
    delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 20, maxAgeMs: 120_000 },
    ...extra,
  });
}

/** Faults around async delivery: a replica killed mid-attempt, and a full queue. */
describe('async delivery under faults', () => {
  let stack: Stack | undefined;
  let receiver: Receiver | undefined;
  let second: ServiceProcess | undefined;

  afterEach(async () => {
    await second?.stop('SIGKILL');
    await stack?.stop();
    await receiver?.close();
    second = undefined;
    stack = undefined;
    receiver = undefined;
  });

  it('loses nothing when the executor delivering it is killed mid-attempt: another replica delivers it', async () => {
    let held = 0;
    // The first request is held open forever, as a receiver that hangs would; later ones are answered.
    receiver = await startReceiver((_req, res) => {
      if (++held === 1) return;
      reply(res, 200, { ok: true });
    });
    // ack_wait 2 s: the message returns to the queue 2 s after the heartbeats of the dead replica stop.
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', executorEnv: { ...FAST_DELIVERY_ENV, DELIVERY_ACK_WAIT_MS: '2000' } });
    // The longest timeout allowed (30 s), not the default 5 s: the held attempt must still be running at
    // the kill however long starting the second replica takes, or it would time out and be retried early.
    await register(stack, hook(receiver, 'notify_front_desk', '/notify', { timeouts: { totalMs: 30_000, connectMs: 0 } }));
    const res = await invoke(stack, 'notify_front_desk', { message: 'patient arrived' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_ACCEPTED');
    const id = res.deliveryId!;
    await waitFor(() => (receiver!.requests.length >= 1 ? true : undefined), 'the first attempt to reach the receiver');

    // Only now a second replica, so the first one is certainly the one holding the message.
    second = await startService('executor', { ...stack.envOf('executor'), ...stack.spoolEnv(), EXECUTOR_PORT: '0' });
    await sleep(2500); // heartbeats keep the message with the first replica past ack_wait: no early redelivery
    expect(receiver.requests).toHaveLength(1);
    const killedAt = performance.now();
    await stack.executor.stop('SIGKILL');

    const events = await waitForState(stack, id, DeliveryState.DELIVERY_STATE_DELIVERED, 20_000);
    const keys = byIdempotencyKey(receiver.requests);
    expect([...keys.keys()]).toEqual([id]);
    const [first, again] = keys.get(id)!;
    expect(first!.headers['x-request-id']).toBe(`${id}.1`);
    expect(again!.headers['x-request-id']).toBe(`${id}.2`);
    // Redelivered once ack_wait passed after the dead replica's last working() heartbeat, not before.
    // That heartbeat (every third of ack_wait) may have gone out up to 667 ms before the kill.
    expect(again!.at - killedAt).toBeGreaterThanOrEqual(2000 - Math.ceil(2000 / 3) - 100);
    expect(events.find((e) => e.attempt === 2)).toMatchObject({ invocationId: `${id}.2`, deliveryState: DeliveryState.DELIVERY_STATE_DELIVERED });
    expect(await streamMessageCount(stack.env['DELIVERY_STREAM']!)).toBe(0);
  });

  it('refuses new async invokes with QUEUE_FULL when the queue is at its limit, never dropping one', async () => {
    receiver = await startReceiver();
    await receiver.down();
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', executorEnv: { ...FAST_DELIVERY_ENV, DELIVERY_QUEUE_MAX_MSGS: '3' } });
    await register(stack, hook(receiver, 'page_staff', '/page'));

    const accepted: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await invoke(stack, 'page_staff', { message: `page ${i}` });
      expect(outcomeName(r.outcome)).toBe('OUTCOME_ACCEPTED');
      accepted.push(r.deliveryId!);
    }
    const full = await invoke(stack, 'page_staff', { message: 'one too many' });
    expect(full.outcome).toBe(Outcome.OUTCOME_QUEUE_FULL);
    expect(full.reason).toBe('DELIVERY_QUEUE_FULL');
    expect(full.agentMessage).toMatch(/can't pass that on right now/);
    expect(full.deliveryId ?? '').toBe('');
    expect(await streamMessageCount(stack.env['DELIVERY_STREAM']!)).toBe(3);

    await receiver.up();
    for (const id of accepted) await waitForState(stack, id, DeliveryState.DELIVERY_STATE_DELIVERED);
    const keys = byIdempotencyKey(receiver.requests);
    expect([...keys.keys()].sort()).toEqual([...accepted].sort());
    expect(receiver.requests.some((r) => r.body.includes('one too many'))).toBe(false);
    await waitFor(async () => ((await streamMessageCount(stack!.env['DELIVERY_STREAM']!)) === 0 ? true : undefined), 'the queue to drain');
    const after = await invoke(stack, 'page_staff', { message: 'room again' });
    expect(outcomeName(after.outcome)).toBe('OUTCOME_ACCEPTED');
    await waitForState(stack, after.deliveryId!, DeliveryState.DELIVERY_STATE_DELIVERED);
    expect((await deliveryEvents(stack, after.deliveryId!)).length).toBeGreaterThanOrEqual(2);
  });
});
