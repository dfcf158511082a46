import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { ExecutorServiceService, HttpMethod, Integration, Outcome, ParameterLocation, ParameterType, RegistryServiceService } from '@switchboard/contracts';
import { fieldErrorsOf } from '@switchboard/grpc-kit';
import { waitFor } from '../support/audit-files.js';
import { startStack, type Stack } from '../support/stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('hostile input is bounded and refused with a clear reason', () => {
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startUpstream();
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    await stack.registryClient.create(
      Integration.fromPartial({
        key: 'echo',
        name: 'Echo',
        description: 'Echoes.',
        enabled: true,
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/notes/{id}`,
        parameters: [
          { name: 'id', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: ParameterLocation.PARAMETER_LOCATION_PATH, description: 'id' },
          { name: 'note', type: ParameterType.PARAMETER_TYPE_STRING, required: false, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'note' },
          { name: 'tag', type: ParameterType.PARAMETER_TYPE_STRING, required: false, location: ParameterLocation.PARAMETER_LOCATION_HEADER, wireName: 'X-Tag', description: 'tag' },
        ],
      }),
    );
    const query = (name: string, type: ParameterType, extra: object = {}) => ({ name, type, location: ParameterLocation.PARAMETER_LOCATION_QUERY, ...extra });
    for (const [key, parameter] of [
      // The pattern that held the executor's event loop for about 2 s per call with JavaScript's regex engine.
      ['evil_pattern', query('code', ParameterType.PARAMETER_TYPE_STRING, { pattern: '^(a+)+$' })],
      ['takes_list', query('items', ParameterType.PARAMETER_TYPE_ARRAY)],
    ] as const) {
      await stack.registryClient.create(
        Integration.fromPartial({ key, name: key, description: 'Hostile input.', enabled: true, method: HttpMethod.HTTP_METHOD_GET, urlTemplate: `${upstream.url}/${key}`, parameters: [parameter] }),
      );
    }
    for (const toolKey of ['echo', 'evil_pattern', 'takes_list']) {
      await waitFor(async () => {
        const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey, argumentsJson: '{"__probe__":1}' });
        return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : r;
      }, `definition ${toolKey}`);
    }
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const invokeTool = (toolKey: string, argumentsJson: string) => stack.executorClient.invoke({ orgId: stack.orgId, toolKey, callId: randomUUID(), argumentsJson });
  const invoke = (argumentsJson: string) => invokeTool('echo', argumentsJson);

  it('refuses arguments over the size limit without sending anything', async () => {
    const before = upstream.requests.length;
    const res = await invoke(JSON.stringify({ id: '1', note: 'x'.repeat(70 * 1024) }));
    expect(res.outcome).toBe(Outcome.OUTCOME_INVALID_ARGUMENTS);
    expect(res.detail).toMatch(/KiB|bytes|large/i);
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses malformed JSON, CR/LF in a header value and a path value of ".."', async () => {
    for (const args of ['{"id":', '[1,2]', JSON.stringify({ id: '1', tag: 'a\r\nX-Injected: 1' }), JSON.stringify({ id: '..' })]) {
      const res = await invoke(args);
      expect(res.outcome, args).toBe(Outcome.OUTCOME_INVALID_ARGUMENTS);
    }
    expect(upstream.requests.some((r) => 'x-injected' in r.headers)).toBe(false);
  });

  it('keeps "/" and "?" in a path value inside its segment', async () => {
    const res = await invoke(JSON.stringify({ id: '../admin?x=1#y' }));
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(upstream.requests.at(-1)!.url).toBe('/notes/..%2Fadmin%3Fx%3D1%23y');
  });

  it('refuses an oversize definition naming the limit', async () => {
    const huge = Integration.fromPartial({
      key: 'huge',
      name: 'Huge',
      description: 'd'.repeat(1000),
      enabled: true,
      method: HttpMethod.HTTP_METHOD_GET,
      urlTemplate: `${upstream.url}/x`,
      parameters: Array.from({ length: 60 }, (_, i) => ({
        name: `p${i}`,
        description: 'z'.repeat(1500),
        type: ParameterType.PARAMETER_TYPE_STRING,
        location: ParameterLocation.PARAMETER_LOCATION_QUERY,
      })),
    });
    const err = (await stack.registryClient.create(huge).catch((e: unknown) => e)) as { code: number };
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldErrorsOf(err as Parameters<typeof fieldErrorsOf>[0]).length).toBeGreaterThan(0);
  });

  it('answers a catastrophic pattern at once, without holding up other calls', async () => {
    const started = Date.now();
    const [evil, others] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => invokeTool('evil_pattern', JSON.stringify({ code: `${'a'.repeat(29)}!` })))),
      Promise.all(Array.from({ length: 5 }, (_, n) => invoke(JSON.stringify({ id: String(n) })))),
    ]);
    // Five such calls took over 10 s of event-loop time before; a loaded machine still answers well within this.
    expect(Date.now() - started).toBeLessThan(3_000);
    for (const r of evil) {
      expect(r.outcome).toBe(Outcome.OUTCOME_INVALID_ARGUMENTS);
      expect(r.detail).toContain('code must match the pattern ^(a+)+$');
    }
    for (const r of others) expect(r.outcome, r.detail).toBe(Outcome.OUTCOME_SUCCESS);
    expect((await invokeTool('evil_pattern', '{"code":"aaaa"}')).outcome).toBe(Outcome.OUTCOME_SUCCESS);
  });

  it('refuses arguments nested 10,000 deep as INVALID_ARGUMENTS, not INTERNAL', async () => {
    const before = upstream.requests.length;
    for (const nested of [`${'['.repeat(10_000)}${']'.repeat(10_000)}`, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`]) {
      const r = await invokeTool('takes_list', `{"items":${nested}}`);
      expect([r.outcome, r.reason]).toEqual([Outcome.OUTCOME_INVALID_ARGUMENTS, 'INVALID_ARGUMENTS']);
      expect(r.detail).toContain('nested more than 32 levels deep');
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a call_id over the limit (8 KB and more) or one that cannot go in a header with INVALID_ARGUMENT', async () => {
    for (const callId of ['c'.repeat(9 * 1024), 'c'.repeat(257), 'call-1\r\nX-Admin: 1']) {
      const err = (await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'echo', callId, argumentsJson: '{"id":"1"}' }).catch((e: unknown) => e)) as { code: number };
      expect(err.code).toBe(status.INVALID_ARGUMENT);
    }
    const bound = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'echo', callId: 'CA0123456789abcdef0123456789abcdef', argumentsJson: '{"id":"1"}' });
    expect(bound.outcome, bound.detail).toBe(Outcome.OUTCOME_SUCCESS);
  });

  it('answers a request that is not a protobuf message with INVALID_ARGUMENT, on the executor and the registry', async () => {
    for (const [port, path] of [
      [stack.executor.port, ExecutorServiceService.invoke.path],
      [stack.registry.port, RegistryServiceService.getIntegration.path],
    ] as const) {
      const raw = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
      try {
        const code = await new Promise<number>((resolve) => {
          // A length-delimited field announced as 100 bytes long, with none following.
          raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0x64]), (err: ServiceError | null) => resolve(err?.code ?? status.OK));
        });
        expect(code, path).toBe(status.INVALID_ARGUMENT);
      } finally {
        raw.close();
      }
    }
  });

  it('refuses a gRPC message over the transport limit', async () => {
    const err = (await invoke(JSON.stringify({ id: '1', note: 'y'.repeat(5 * 1024 * 1024) })).catch((e: unknown) => e)) as { code: number };
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});
