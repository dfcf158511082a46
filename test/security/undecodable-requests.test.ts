import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, type ServiceDefinition } from '@grpc/grpc-js';
import { DeliveryServiceService, ExecutorServiceService, HealthService, RegistryServiceService } from '@switchboard/contracts';
import { sendRaw } from '../support/raw-grpc.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Issue 17 item 8: bytes that are not a protobuf message of the method's type answer INVALID_ARGUMENT
 * (reason UNDECODABLE_REQUEST) on every method of every service, not INTERNAL. The bytes go out
 * as they are, through grpc-js's makeUnaryRequest with identity serializers.
 */
const GARBAGE: readonly [string, Buffer][] = [
  ['a length past the end', Buffer.from([0x0a, 0xff, 0x01, 0x41])],
  ['wire type 7', Buffer.from([0x0f, 0x01])],
  ['a truncated varint', Buffer.from([0x08, 0xff, 0xff, 0xff])],
];

function paths(definition: ServiceDefinition): string[] {
  return Object.values(definition).map((m) => m.path);
}

describe('undecodable requests', () => {
  let stack: Stack;
  let registry: Client;
  let executor: Client;

  beforeAll(async () => {
    stack = await startStack({ withLogger: false });
    registry = new Client(`127.0.0.1:${stack.registry.port}`, credentials.createInsecure());
    executor = new Client(`127.0.0.1:${stack.executor.port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    registry?.close();
    executor?.close();
    await stack?.stop();
  });

  it('answer INVALID_ARGUMENT on every method of the registry, the executor, DeliveryService and health', async () => {
    const targets: [Client, string][] = [
      ...paths(RegistryServiceService).map((p): [Client, string] => [registry, p]),
      ...paths(ExecutorServiceService).map((p): [Client, string] => [executor, p]),
      ...paths(DeliveryServiceService).map((p): [Client, string] => [executor, p]),
      ...paths(HealthService).flatMap((p): [Client, string][] => [[registry, p], [executor, p]]),
    ];
    expect(targets.length).toBe(10 + 4 + 2 + 2);
    const wrong: string[] = [];
    for (const [client, path] of targets) {
      for (const [name, bytes] of GARBAGE) {
        const got = await sendRaw(client, path, bytes);
        if (got.code !== 'INVALID_ARGUMENT' || got.reason !== 'UNDECODABLE_REQUEST') wrong.push(`${path} (${name}): ${got.code}/${got.reason}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(stack.allOutput()).not.toMatch(/unexpected error in handler/);
  });

  it('still serves a well-formed request on the same connection afterwards', async () => {
    const list = RegistryServiceService.listIntegrations;
    const bytes = list.requestSerialize({ orgId: stack.orgId });
    expect(await sendRaw(registry, list.path, bytes)).toEqual({ code: 'OK', reason: undefined, details: '' });
  });
});
