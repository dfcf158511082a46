import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutorServiceService, InvokeResponse, Outcome, type InvokeRequest } from '@switchboard/contracts';
import { refusal } from '@switchboard/grpc-kit';
import { ShardedExecutorClient } from './shard-routing.js';

/**
 * The sharded client against real gRPC servers on loopback playing executor pools, so that a
 * reshard's race (a call sent to a pool that starts draining before the call reaches it) is observed
 * over the wire.
 */
type Answer = (req: InvokeRequest) => Promise<InvokeResponse | Partial<ServiceError>>;

const servers: Server[] = [];

async function pool(answer: Answer): Promise<{ address: string; calls: number }> {
  const state = { address: '', calls: 0 };
  const server = new Server();
  server.addService(ExecutorServiceService, {
    invoke(call: ServerUnaryCall<InvokeRequest, InvokeResponse>, cb: sendUnaryData<InvokeResponse>) {
      state.calls += 1;
      void answer(call.request).then((r) => ('invocationId' in r ? cb(null, r) : cb(r)));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  servers.push(server);
  state.address = `127.0.0.1:${port}`;
  return state;
}

const served = (by: string) => () => Promise.resolve(InvokeResponse.fromPartial({ invocationId: by, outcome: Outcome.OUTCOME_SUCCESS, reason: 'OK' }));

afterEach(() => {
  for (const s of servers.splice(0)) s.forceShutdown();
});

describe('ShardedExecutorClient during a reshard', () => {
  it('sends a call that a retired, draining pool refused once more, to the pool that now owns the org', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The old pool takes the call, and by the time it looks at it the pool is draining.
    const old = await pool(async () => {
      await held;
      return refusal('DRAINING', 'executor is shutting down; retry on another replica');
    });
    const fresh = await pool(served('new'));
    const client = new ShardedExecutorClient({ shards: [{ address: old.address }] });
    const pending = client.invoke({ orgId: 'clinic-1', toolKey: 'look_up', callId: '', argumentsJson: '{}' });
    await expect.poll(() => old.calls).toBe(1);
    client.retarget([{ address: fresh.address }]);
    release();
    await expect(pending).resolves.toMatchObject({ invocationId: 'new' });
    expect(fresh.calls).toBe(1);
    client.close();
  });

  it('passes DRAINING through when the pool list has not changed (the caller decides where to retry)', async () => {
    const only = await pool(() => Promise.resolve(refusal('DRAINING', 'executor is shutting down; retry on another replica')));
    const client = new ShardedExecutorClient({ shards: [{ address: only.address }] });
    await expect(client.invoke({ orgId: 'clinic-1', toolKey: 'look_up', callId: '', argumentsJson: '{}' })).rejects.toMatchObject({ code: 14 });
    expect(only.calls).toBe(1);
    client.close();
  });
});
