import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryServiceClient, DeliveryServiceService, type ListDeliveriesRequest, type ListDeliveriesResponse } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logging';
import { fieldErrorsOf, reasonOf } from './status-mapping.js';
import { CallGate, UnaryHandlers } from './unary-handlers.js';

const TOKEN = 'test-service-token';
const REQUEST: ListDeliveriesRequest = { orgId: 'org', state: 0, toolKey: '', limit: 0 };

/** What one ListDeliveries call does on the server, chosen by the test through `toolKey`. */
type Behaviour = (request: ListDeliveriesRequest) => Promise<ListDeliveriesResponse>;

/**
 * The wrapper on a real gRPC server on loopback, called by a real client: what goes over the wire
 * (status, reason and field-error metadata) is observed, not assumed.
 */
describe('UnaryHandlers', () => {
  const logged: { level: number; msg: string }[] = [];
  const logger = createLogger('test', { destination: { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) } });
  const gate = new CallGate();
  const events: string[] = [];
  let behaviour: Behaviour;
  let server: Server;
  let client: DeliveryServiceClient;

  beforeAll(async () => {
    const h = new UnaryHandlers({
      service: 'unit',
      logger,
      serviceToken: TOKEN,
      gate,
      translate: (err) => (err instanceof RangeError ? new SwitchboardError('DELIVERY_QUEUE_UNAVAILABLE', 'the store is away') : err),
    });
    server = new Server();
    server.addService(DeliveryServiceService, {
      listDeliveries: h.method('ListDeliveries', {
        run: (req: ListDeliveriesRequest) => behaviour(req),
        reply: (res: ListDeliveriesResponse) => {
          if (res.deliveries.length > 1) throw new TypeError('cannot project this');
          events.push('reply');
          return res;
        },
        afterReply: (res) => {
          events.push(`after-reply (in flight ${gate.inFlight})`);
          if (res.deliveries.length === 0 && events.includes('throw-after')) throw new Error('after-reply broke');
        },
      }),
      retryDelivery: h.unary('RetryDelivery', () => Promise.resolve({ delivery: undefined })),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new DeliveryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  beforeEach(() => {
    events.length = 0;
    logged.length = 0;
    gate.draining = false;
  });

  const call = (token = TOKEN) =>
    new Promise<{ ok: true; res: ListDeliveriesResponse } | { ok: false; err: ServiceError }>((resolve) => {
      const md = new Metadata();
      md.set('authorization', `Bearer ${token}`);
      client.listDeliveries(REQUEST, md, { deadline: Date.now() + 5_000 }, (err, res) => resolve(err ? { ok: false, err } : { ok: true, res }));
    });
  const failure = async (token?: string) => {
    const r = await call(token);
    if (r.ok) throw new Error('the call succeeded');
    return { code: status[r.err.code], reason: reasonOf(r.err), details: r.err.details, fields: fieldErrorsOf(r.err) };
  };
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 5));
  };

  it('replies first, then runs the after-reply work with the call still counted in flight, then releases it', async () => {
    behaviour = () => Promise.resolve({ deliveries: [] });
    const r = await call();
    expect(r.ok).toBe(true);
    await until(() => gate.inFlight === 0);
    expect(events).toEqual(['reply', 'after-reply (in flight 1)']);
  });

  it('releases the call and logs when the after-reply work throws', async () => {
    behaviour = () => Promise.resolve({ deliveries: [] });
    events.push('throw-after');
    expect((await call()).ok).toBe(true);
    await until(() => gate.inFlight === 0);
    await until(() => logged.some((l) => l.msg === 'after-reply work failed'));
  });

  it('refuses calls while draining with UNAVAILABLE and reason DRAINING, without running them', async () => {
    let ran = false;
    behaviour = () => {
      ran = true;
      return Promise.resolve({ deliveries: [] });
    };
    gate.draining = true;
    expect(await failure()).toMatchObject({ code: 'UNAVAILABLE', reason: 'DRAINING', details: 'unit is shutting down; retry on another replica' });
    expect(ran).toBe(false);
    expect(gate.inFlight).toBe(0);
  });

  it('refuses a wrong service token with UNAUTHENTICATED and reason SERVICE_NOT_AUTHORISED, before the handler runs', async () => {
    let ran = false;
    behaviour = () => {
      ran = true;
      return Promise.resolve({ deliveries: [] });
    };
    expect(await failure('wrong')).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SERVICE_NOT_AUTHORISED' });
    expect(ran).toBe(false);
    expect(gate.inFlight).toBe(0);
    expect(logged.filter((l) => l.level >= 40)).toEqual([]);
  });

  it("answers a SwitchboardError with its catalogue status, its reason, its message and its field errors", async () => {
    behaviour = () => Promise.reject(new SwitchboardError('INVALID_REQUEST', 'org_id is bad', { fieldErrors: [{ field: 'org_id', message: 'is bad' }] }));
    expect(await failure()).toEqual({ code: 'INVALID_ARGUMENT', reason: 'INVALID_REQUEST', details: 'org_id is bad', fields: [{ field: 'org_id', message: 'is bad' }] });
    behaviour = () => Promise.reject(new SwitchboardError('DELIVERY_QUEUE_FULL', 'full'));
    expect(await failure()).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'DELIVERY_QUEUE_FULL' });
    expect(gate.inFlight).toBe(0);
  });

  // Issue 17 item 8: found by test/security/any-rpc-input.test.ts, where a definition with control
  // characters in a sample argument's name took the registry down (grpc-js throws on such a metadata value).
  it('answers field errors that quote any text, and any number of them, and keeps serving', async () => {
    const hostile = [
      { field: 'sample_arguments.\u0012\ufffd\u{1F642}\r\n', message: '\ud800 is required \u007f' },
      ...Array.from({ length: 500 }, (_, i) => ({ field: `burden.accepted_verification_methods[${i}]`, message: `must be a method name, not ${'é'.repeat(10)}` })),
    ];
    behaviour = () => Promise.reject(new SwitchboardError('INVALID_DEFINITION', `the definition is invalid: ${'ü'.repeat(20_000)}`, { fieldErrors: hostile }));
    const answer = await failure();
    expect(answer).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_DEFINITION' });
    expect(answer.details.length).toBeLessThanOrEqual(2_048);
    // A lone surrogate in the details (grpc-js's encodeURI throws on it), and one made by clipping a pair.
    behaviour = () => Promise.reject(new SwitchboardError('INVALID_DEFINITION', 'key \ud800x is not valid'));
    expect(await failure()).toMatchObject({ code: 'INVALID_ARGUMENT', details: 'key \ufffdx is not valid' });
    behaviour = () => Promise.reject(new SwitchboardError('INVALID_DEFINITION', `${'a'.repeat(2_046)}\u{1F642}b`));
    expect((await failure()).details).toBe(`${'a'.repeat(2_046)}\ufffd…`);
    expect(answer.fields[0]).toEqual(hostile[0]);
    expect(answer.fields.length).toBeGreaterThan(5);
    expect(answer.fields.at(-1)).toEqual({ field: '(more)', message: `${hostile.length - answer.fields.length + 1} more problems not listed` });
    behaviour = () => Promise.resolve({ deliveries: [] });
    expect((await call()).ok).toBe(true);
    expect(gate.inFlight).toBe(0);
  });

  it('answers anything else as INTERNAL with a fixed sentence, and logs it', async () => {
    behaviour = () => Promise.reject(new Error('secret-bearing internals'));
    expect(await failure()).toEqual({ code: 'INTERNAL', reason: 'INTERNAL', details: 'internal error; see the service log', fields: [] });
    await until(() => logged.some((l) => l.msg === 'unexpected error in handler'));
  });

  it("uses the service's translation for failures that are not SwitchboardErrors", async () => {
    behaviour = () => Promise.reject(new RangeError('nats timeout'));
    expect(await failure()).toMatchObject({ code: 'UNAVAILABLE', reason: 'DELIVERY_QUEUE_UNAVAILABLE', details: 'the store is away' });
  });

  it('answers a run that throws before its first await like one that rejects', async () => {
    behaviour = () => {
      throw new SwitchboardError('NOT_FOUND', 'no such delivery');
    };
    expect(await failure()).toMatchObject({ code: 'NOT_FOUND', reason: 'NOT_FOUND' });
    expect(gate.inFlight).toBe(0);
  });

  it('answers a reply that cannot be made as INTERNAL and releases the call', async () => {
    behaviour = () => Promise.resolve({ deliveries: [{}, {}] as ListDeliveriesResponse['deliveries'] });
    expect(await failure()).toMatchObject({ code: 'INTERNAL', reason: 'INTERNAL' });
    expect(events).toEqual([]);
    expect(gate.inFlight).toBe(0);
  });
});
