import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryClient } from '@switchboard/client';
import { reasonOf } from '@switchboard/grpc-kit';
import { startStack, type Stack } from '../support/stack.js';
import { grpcCodeOf, HealthPoller, sleep } from './helpers.js';

/** How long a draining executor keeps listening after SIGTERM, announcing NOT_SERVING. */
const ANNOUNCE_MS = 4_000;

function refusalOf(err: unknown): { code: string; reason: string | undefined } {
  return { code: grpcCodeOf(err), reason: reasonOf(err as { metadata?: never }) };
}

/**
 * Every gRPC service of a draining executor stops taking calls at the same moment: Invoke and Test,
 * and also DeliveryService, which shares the executor's port and its shutdown. A refused call is
 * UNAVAILABLE with reason DRAINING, so a client knows it may send it to another replica.
 */
describe('a draining executor refuses new calls on every service', () => {
  let stack: Stack;
  let deliveries: DeliveryClient;

  beforeAll(async () => {
    stack = await startStack({ withLogger: false, executorEnv: { SHUTDOWN_ANNOUNCE_MS: String(ANNOUNCE_MS), SHUTDOWN_GRACE_MS: String(ANNOUNCE_MS + 4_000) } });
    deliveries = new DeliveryClient({ address: `127.0.0.1:${stack.executor.port}` });
  });

  afterAll(async () => {
    deliveries?.close();
    await stack?.stop();
  });

  it('DeliveryService and Invoke answer UNAVAILABLE (reason DRAINING) once SIGTERM was seen', async () => {
    // Serving before the signal: the dead-letter list answers.
    expect(await deliveries.listFailed(stack.orgId)).toEqual([]);

    const health = new HealthPoller(`127.0.0.1:${stack.executor.port}`);
    await health.serving();
    const signalledAt = Date.now();
    const exit = stack.executor.stop('SIGTERM');
    // The executor has seen the signal once its health says NOT_SERVING; it still listens for ANNOUNCE_MS.
    while (!health.firstAfter(signalledAt, 'NOT_SERVING')) {
      expect(Date.now() - signalledAt, 'health never turned NOT_SERVING after SIGTERM').toBeLessThan(ANNOUNCE_MS);
      await sleep(10);
    }
    await health.stop();

    const listed = await deliveries.listFailed(stack.orgId).then(
      () => ({ code: 'OK', reason: undefined }),
      refusalOf,
    );
    const retried = await deliveries.retry(stack.orgId, '00000000-0000-4000-8000-000000000000').then(
      () => ({ code: 'OK', reason: undefined }),
      refusalOf,
    );
    const invoked = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'anything', argumentsJson: '{}' }).then(
      () => ({ code: 'OK', reason: undefined }),
      refusalOf,
    );
    expect(Date.now() - signalledAt, 'the refusals came after the executor stopped listening').toBeLessThan(ANNOUNCE_MS);
    expect({ listed, retried, invoked }).toEqual({
      listed: { code: 'UNAVAILABLE', reason: 'DRAINING' },
      retried: { code: 'UNAVAILABLE', reason: 'DRAINING' },
      invoked: { code: 'UNAVAILABLE', reason: 'DRAINING' },
    });
    expect(await exit).toBe(0);
  });
});
