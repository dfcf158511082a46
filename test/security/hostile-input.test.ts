import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { HttpMethod, Integration, Outcome, ParameterLocation, ParameterType } from '@switchboard/contracts';
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
    await waitFor(async () => {
      const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'echo', argumentsJson: '{"id":"1"}' });
      return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : r;
    }, 'definition');
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const invoke = (argumentsJson: string) => stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'echo', callId: randomUUID(), argumentsJson });

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

  it('refuses a gRPC message over the transport limit', async () => {
    const err = (await invoke(JSON.stringify({ id: '1', note: 'y'.repeat(5 * 1024 * 1024) })).catch((e: unknown) => e)) as { code: number };
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});
