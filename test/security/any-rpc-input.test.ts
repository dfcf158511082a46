import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Client, credentials } from '@grpc/grpc-js';
import { HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { loadContracts, messageBytes, type RpcDescriptor } from '../support/proto-fuzz.js';
import { sendRaw, type RawAnswer } from '../support/raw-grpc.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

/** Which running server answers each service of the contracts; a new service fails the test until it is named here. */
const SERVERS: Record<string, readonly ('registry' | 'executor')[]> = {
  'switchboard.v1.RegistryService': ['registry'],
  'switchboard.v1.ExecutorService': ['executor'],
  'switchboard.v1.DeliveryService': ['executor'],
  'grpc.health.v1.Health': ['registry', 'executor'],
};

/**
 * Answers that say the server failed, not the caller: none may come from any input. UNAVAILABLE without
 * a reason is the transport's (the process is gone or the connection broke), never a service's own answer.
 */
const serverFailed = (got: RawAnswer) => ['INTERNAL', 'UNKNOWN', 'DATA_LOSS', 'DEADLINE_EXCEEDED'].includes(got.code) || (got.code === 'UNAVAILABLE' && got.reason === undefined);

const RUNS = Number(process.env['ANY_RPC_RUNS'] ?? 60);

/**
 * Issue 17 item 8: no input of any RPC gets INTERNAL. Every method of every service in proto/ (read from
 * the compiled descriptors, so a new RPC is covered without touching this test) is sent arbitrary and
 * hostile messages over raw gRPC (fast-check; encoded by hand from the descriptors, so invalid UTF-8,
 * out-of-range numbers, unknown enum values, very long, deep and repeated fields reach the server as
 * they are) against the real registry and executor. Strings are biased towards names that exist (the
 * test's org, an integration on a loopback upstream, its arguments), so calls get past the lookups.
 */
describe('every RPC answers any input with a typed status, never INTERNAL', () => {
  const contracts = loadContracts();
  let stack: Stack;
  let upstream: Upstream;
  const clients: Client[] = [];
  let clientOf: Record<'registry' | 'executor', Client>;

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => json(res, 200, { ok: true, items: [{ id: 'a' }] }));
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    await stack.registryClient.create(
      Integration.fromPartial({
        key: 'lookup',
        name: 'Lookup',
        description: 'Looks a booking up.',
        enabled: true,
        method: HttpMethod.HTTP_METHOD_GET,
        urlTemplate: `${upstream.url}/bookings/{id}`,
        parameters: [{ name: 'id', location: ParameterLocation.PARAMETER_LOCATION_PATH, type: ParameterType.PARAMETER_TYPE_STRING, required: true, description: 'The booking.' }],
      }),
    );
    clientOf = {
      registry: new Client(`127.0.0.1:${stack.registry.port}`, credentials.createInsecure()),
      executor: new Client(`127.0.0.1:${stack.executor.port}`, credentials.createInsecure()),
    };
    clients.push(clientOf.registry, clientOf.executor);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await stack?.stop();
    await upstream?.close();
  });

  it('knows which server answers every service of the contracts', () => {
    const services = [...new Set(contracts.rpcs.map((r) => r.service))];
    expect(services.filter((s) => !(s in SERVERS))).toEqual([]);
    expect(contracts.rpcs.length).toBeGreaterThanOrEqual(16);
  });

  const targets = (): [RpcDescriptor, 'registry' | 'executor'][] => contracts.rpcs.flatMap((r) => (SERVERS[r.service] ?? []).map((s): [RpcDescriptor, 'registry' | 'executor'] => [r, s]));

  it.each(targets().map(([r, s]) => [`${s} ${r.path}`, r, s] as const))('%s', async (_name, rpc, server) => {
    const pool = {
      known: [
        stack.orgId,
        `${stack.orgId}-other`,
        'lookup',
        `${upstream.url}/bookings/{id}`,
        '{"id":"b-1"}',
        '{"id":{"nested":[1,2,3]}}',
        '4f1c2a3b-0000-4000-8000-000000000001',
        'id',
      ],
      byField: {
        org_id: [stack.orgId],
        tool_key: ['lookup'],
        key: ['lookup'],
        arguments_json: ['{"id":"b-1"}', '{}', '{"id":"' + 'x'.repeat(5_000) + '"}', '['.repeat(50_000), '{"id":"b-1","extra":{"deep":[[[[[]]]]]}}'],
        call_id: ['4f1c2a3b-0000-4000-8000-000000000001'],
        url_template: [`${upstream.url}/bookings/{id}`],
      },
    };
    await fc.assert(
      fc.asyncProperty(messageBytes(contracts, rpc.inputType, pool), async (bytes) => {
        const got = await sendRaw(clientOf[server], rpc.path, Buffer.from(bytes));
        // A process that died says why in its output: the last of it goes with the failure.
        expect(serverFailed(got), `${rpc.path} answered ${got.code}/${got.reason}: ${got.details}\n${serverFailed(got) ? stack[server].output().slice(-3_000) : ''}`).toBe(false);
      }),
      { numRuns: RUNS },
    );
    expect(stack.allOutput()).not.toMatch(/unexpected error in handler/);
  });
});
