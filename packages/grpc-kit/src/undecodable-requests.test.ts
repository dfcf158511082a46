import { Client, credentials, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryServiceService, ListDeliveriesResponse } from '@switchboard/contracts';
import { withTypedDecodeFailures } from './undecodable-requests.js';

/** Sends raw bytes as a request, as a hostile or broken client would, and reports the status. */
function sendRaw(client: Client, path: string, bytes: Buffer): Promise<{ code: status; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => ListDeliveriesResponse.decode(b),
      bytes,
      (err: ServiceError | null) => resolve(err === null ? { code: status.OK, details: '' } : { code: err.code, details: err.details }),
    );
  });
}

describe('withTypedDecodeFailures', () => {
  let server: Server;
  let client: Client;
  let handled = 0;

  beforeAll(async () => {
    const typed = withTypedDecodeFailures(DeliveryServiceService, {
      listDeliveries: (_call: unknown, callback: (err: null, res: ListDeliveriesResponse) => void) => {
        handled += 1;
        callback(null, { deliveries: [] });
      },
      retryDelivery: (_call: unknown, callback: (err: null, res: object) => void) => callback(null, {}),
    });
    server = new Server();
    server.addService(typed.definition, typed.implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  it('answers bytes that are not the request message with INVALID_ARGUMENT (grpc-js says INTERNAL), without running the method', async () => {
    const path = DeliveryServiceService.listDeliveries.path;
    // Field 1 announced as 100 bytes long with none following; then a wire type protobuf does not have.
    for (const bytes of [Buffer.from([0x0a, 0x64]), Buffer.from([0x0f, 0xff, 0xff, 0xff])]) {
      expect(await sendRaw(client, path, bytes)).toEqual({ code: status.INVALID_ARGUMENT, details: 'the request is not a valid ListDeliveries request message' });
    }
    expect(handled).toBe(0);
    expect((await sendRaw(client, path, Buffer.alloc(0))).code).toBe(status.OK);
    expect(handled).toBe(1);
  });
});
