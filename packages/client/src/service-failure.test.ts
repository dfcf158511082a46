import { Metadata, Server, ServerCredentials, status, type sendUnaryData } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryServiceService, type ListDeliveriesRequest, type ListDeliveriesResponse } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { CallGate, REASON_METADATA_KEY, UnaryHandlers } from '@switchboard/grpc-kit';
import { createLogger } from '@switchboard/logging';
import { DeliveryClient } from './delivery-client.js';
import { fromServiceError } from './service-failure.js';

const TOKEN = 'unit-token';

/**
 * The translation of real grpc-js errors: a server on loopback answers with Switchboard's own
 * handler wrapper (reasons attached) or, on RetryDelivery, with a bare status as a non-Switchboard
 * server or grpc-js itself would.
 */
describe('fromServiceError', () => {
  const gate = new CallGate();
  let fail: () => Promise<ListDeliveriesResponse>;
  let bare: { code: status; details: string; reason?: string };
  let server: Server;
  let address: string;

  beforeAll(async () => {
    const h = new UnaryHandlers({ service: 'executor', logger: createLogger('unit', { level: 'silent' }), serviceToken: TOKEN, gate });
    server = new Server();
    server.addService(DeliveryServiceService, {
      listDeliveries: h.unary('ListDeliveries', (_req: ListDeliveriesRequest) => fail()),
      retryDelivery: (_call: unknown, cb: sendUnaryData<never>) => {
        const metadata = new Metadata();
        if (bare.reason) metadata.set(REASON_METADATA_KEY, bare.reason);
        cb({ code: bare.code, details: bare.details, metadata });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server?.forceShutdown());

  async function translated(run: (c: DeliveryClient) => Promise<unknown>, options: { token?: string; address?: string } = {}) {
    const c = new DeliveryClient({ address: options.address ?? address, serviceToken: options.token ?? TOKEN });
    try {
      await run(c);
      throw new Error('the call succeeded');
    } catch (err) {
      const e = fromServiceError(err, 'executor');
      return { reason: e.reason, message: e.message, fieldErrors: e.fieldErrors, grpc: (e.cause as { code?: number } | undefined)?.code };
    } finally {
      c.close();
    }
  }

  it("keeps the reason, message and field errors the service attached", async () => {
    fail = () => Promise.reject(new SwitchboardError('INVALID_DEFINITION', 'the definition is invalid: key: must be set', { fieldErrors: [{ field: 'key', message: 'must be set' }] }));
    expect(await translated((c) => c.listFailed('org'))).toEqual({
      reason: 'INVALID_DEFINITION',
      message: 'the definition is invalid: key: must be set',
      fieldErrors: [{ field: 'key', message: 'must be set' }],
      grpc: status.INVALID_ARGUMENT,
    });
    fail = () => Promise.reject(new SwitchboardError('REVISION_CONFLICT', 'integration x changed since revision 2'));
    expect(await translated((c) => c.listFailed('org'))).toMatchObject({ reason: 'REVISION_CONFLICT', message: 'integration x changed since revision 2' });
  });

  it('keeps a draining refusal as DRAINING and an unexpected failure as INTERNAL, with the fixed sentences the service wrote', async () => {
    gate.draining = true;
    try {
      expect(await translated((c) => c.listFailed('org'))).toMatchObject({ reason: 'DRAINING', message: 'executor is shutting down; retry on another replica' });
    } finally {
      gate.draining = false;
    }
    fail = () => Promise.reject(new Error('a stack trace with internals'));
    expect(await translated((c) => c.listFailed('org'))).toMatchObject({ reason: 'INTERNAL', message: 'internal error; see the service log' });
  });

  it("names a refused service token SERVICE_NOT_AUTHORISED, not the user's UNAUTHENTICATED", async () => {
    expect(await translated((c) => c.listFailed('org'), { token: 'wrong' })).toMatchObject({ reason: 'SERVICE_NOT_AUTHORISED' });
  });

  it('names an unreachable service SERVICE_UNAVAILABLE with a fixed sentence, not the transport\'s words', async () => {
    const closed = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      closed.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    closed.forceShutdown();
    expect(await translated((c) => c.listFailed('org'), { address: `127.0.0.1:${port}` })).toMatchObject({
      reason: 'SERVICE_UNAVAILABLE',
      message: 'the executor is not answering; try again in a moment',
      grpc: status.UNAVAILABLE,
    });
  });

  it('reads a bare status when no reason (or one outside the catalogue) was attached', async () => {
    const cases: [typeof bare, string, string][] = [
      [{ code: status.NOT_FOUND, details: 'no such thing' }, 'NOT_FOUND', 'no such thing'],
      [{ code: status.ALREADY_EXISTS, details: 'exists' }, 'ALREADY_EXISTS', 'exists'],
      [{ code: status.ABORTED, details: 'changed' }, 'REVISION_CONFLICT', 'changed'],
      [{ code: status.INVALID_ARGUMENT, details: 'bad', reason: 'A_FUTURE_REASON' }, 'INVALID_REQUEST', 'bad'],
      [{ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }, 'SERVICE_UNAVAILABLE', 'the executor is not answering; try again in a moment'],
      [{ code: status.PERMISSION_DENIED, details: 'no' }, 'SERVICE_NOT_AUTHORISED', "the executor refused this service's credentials (service token or client certificate)"],
      [{ code: status.DATA_LOSS, details: 'internal words' }, 'INTERNAL', 'the executor failed; see its log'],
    ];
    for (const [answer, reason, message] of cases) {
      bare = answer;
      expect(await translated((c) => c.retry('org', 'id')), status[answer.code]).toMatchObject({ reason, message });
    }
  });

  it('passes a SwitchboardError through and makes anything else INTERNAL with the original as its cause', () => {
    const own = new SwitchboardError('NOT_FOUND', 'x');
    expect(fromServiceError(own)).toBe(own);
    const odd = new TypeError('boom');
    const e = fromServiceError(odd, 'registry');
    expect({ reason: e.reason, message: e.message, cause: e.cause }).toEqual({ reason: 'INTERNAL', message: 'the registry call failed', cause: odd });
  });
});
