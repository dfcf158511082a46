import { randomUUID } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BodyEncoding,
  ContextField,
  CredentialType,
  HttpMethod,
  Outcome,
  ParameterLocation as In,
  ParameterType,
} from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type RecordedUpstreamRequest, type Upstream } from '../support/upstream.js';
import { define, invoke, outcomeName, register, startExecutorStack } from './helpers.js';
import { verifySignature } from './verify-signature.js';

const SIGNING_SECRET = 'whsec_shape_7d1e2f9a0b3c';

/**
 * What the upstream receives, byte for byte: every method, every parameter placement (path, template
 * query, extra query, header, JSON and form body), fixed and call-context values, and values that try
 * to leave their place in the URL. The encoding integration is signed, so every edge case also
 * proves that the signature covers exactly the path and query that went on the wire.
 */
describe('executor request building, end to end', () => {
  let upstream: Upstream;
  let stack: Stack;
  const signatureOk: boolean[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.headers['x-switchboard-signature'] !== undefined) {
        const ok = verifySignature(SIGNING_SECRET, req.method, req.url, req.headers, req.body);
        signatureOk.push(ok);
        if (!ok) return json(res, 401, { error: 'bad signature' });
      }
      json(res, 200, { echoed: true, method: req.method });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });
    await stack.registryClient.putCredential('shape-signing', CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, { value: SIGNING_SECRET });

    const methods = [
      ['m_get', HttpMethod.HTTP_METHOD_GET],
      ['m_post', HttpMethod.HTTP_METHOD_POST],
      ['m_put', HttpMethod.HTTP_METHOD_PUT],
      ['m_patch', HttpMethod.HTTP_METHOD_PATCH],
      ['m_delete', HttpMethod.HTTP_METHOD_DELETE],
    ] as const;
    await register(
      stack,
      ...methods.map(([key, method]) =>
        define({
          key,
          method,
          urlTemplate: `${upstream.url}/items/{id}`,
          parameters: [
            { name: 'id', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_PATH },
            {
              name: 'note',
              type: ParameterType.PARAMETER_TYPE_STRING,
              location: method === HttpMethod.HTTP_METHOD_GET || method === HttpMethod.HTTP_METHOD_DELETE ? In.PARAMETER_LOCATION_QUERY : In.PARAMETER_LOCATION_BODY,
            },
          ],
        }),
      ),
      define({
        key: 'every_place',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/v1/patients/{patient_id}/notes?src=voice&day={day}`,
        parameters: [
          { name: 'patient_id', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_PATH },
          { name: 'day', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_QUERY },
          { name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY },
          { name: 'tags', type: ParameterType.PARAMETER_TYPE_ARRAY, location: In.PARAMETER_LOCATION_QUERY, wireName: 'tag' },
          { name: 'trace_tag', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_HEADER, wireName: 'X-Trace-Tag' },
          { name: 'patient_name', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, wireName: 'patient.name' },
          { name: 'note', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY },
          { name: 'urgent', type: ParameterType.PARAMETER_TYPE_BOOLEAN, location: In.PARAMETER_LOCATION_BODY, defaultValue: false },
        ],
        fixedValues: [
          { name: 'api_version', location: In.PARAMETER_LOCATION_QUERY, value: '2' },
          { name: 'X-Source', location: In.PARAMETER_LOCATION_HEADER, value: 'switchboard' },
          { name: 'meta.channel', location: In.PARAMETER_LOCATION_BODY, value: 'phone' },
        ],
        contextValues: [
          { name: 'caller.phone', location: In.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER },
          { name: 'X-Called', location: In.PARAMETER_LOCATION_HEADER, source: ContextField.CONTEXT_FIELD_CALLED_NUMBER },
          { name: 'org', location: In.PARAMETER_LOCATION_QUERY, source: ContextField.CONTEXT_FIELD_ORG_ID },
          { name: 'X-Call', location: In.PARAMETER_LOCATION_HEADER, source: ContextField.CONTEXT_FIELD_CALL_ID },
          { name: 'meta.tz', location: In.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_ORG_TIME_ZONE },
        ],
      }),
      define({
        key: 'form_post',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/forms`,
        bodyEncoding: BodyEncoding.BODY_ENCODING_FORM,
        parameters: [
          { name: 'name', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY },
          { name: 'city', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, wireName: 'address.city' },
          { name: 'tags', type: ParameterType.PARAMETER_TYPE_ARRAY, location: In.PARAMETER_LOCATION_BODY },
        ],
        contextValues: [{ name: 'from', location: In.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
      }),
      define({
        key: 'edges',
        urlTemplate: `${upstream.url}/files/{name}/raw?v={v}`,
        signingCredentialId: 'shape-signing',
        parameters: [
          { name: 'name', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_PATH },
          { name: 'v', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY, defaultValue: '1' },
          { name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY },
          { name: 'label', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_HEADER, wireName: 'X-Label' },
        ],
      }),
      define({
        key: 'signed_post',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/hooks/{hook}?mode=live`,
        signingCredentialId: 'shape-signing',
        parameters: [
          { name: 'hook', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_PATH },
          { name: 'text', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY },
          { name: 'who', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY },
        ],
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  async function sent(toolKey: string, args: Record<string, unknown>, extra = {}): Promise<RecordedUpstreamRequest> {
    const before = upstream.requests.length;
    const res = await invoke(stack, toolKey, args, extra);
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(upstream.requests.length).toBe(before + 1);
    return upstream.requests.at(-1)!;
  }

  it('sends every method with the body only where it belongs', async () => {
    for (const [key, method] of [['m_get', 'GET'], ['m_delete', 'DELETE']] as const) {
      const seen = await sent(key, { id: 'a-1', note: 'hi there' });
      expect(seen.method).toBe(method);
      expect(seen.url).toBe('/items/a-1?note=hi%20there');
      expect(seen.body).toBe('');
      expect(seen.headers['content-type']).toBeUndefined();
    }
    for (const [key, method] of [['m_post', 'POST'], ['m_put', 'PUT'], ['m_patch', 'PATCH']] as const) {
      const seen = await sent(key, { id: 'a-1', note: 'hi there' });
      expect(seen.method).toBe(method);
      expect(seen.url).toBe('/items/a-1');
      expect(seen.headers['content-type']).toBe('application/json');
      expect(seen.body).toBe('{"note":"hi there"}');
    }
  });

  it('places path, query, header and body values, fixed values and call-context values exactly', async () => {
    const callId = randomUUID();
    const seen = await sent(
      'every_place',
      { patient_id: 'p-9', day: '2026-12-01', q: 'knee pain', tags: ['a b', 'c&d'], trace_tag: 'tt-1', patient_name: 'Zoë Ann', note: 'line' },
      { callId, context: { callerNumber: '+14155550123', calledNumber: '+14155550999', orgTimeZone: 'Europe/Paris' } },
    );
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe(`/v1/patients/p-9/notes?src=voice&day=2026-12-01&q=knee%20pain&tag=a%20b&tag=c%26d&api_version=2&org=${stack.orgId}`);
    expect(seen.headers['x-trace-tag']).toBe('tt-1');
    expect(seen.headers['x-source']).toBe('switchboard');
    expect(seen.headers['x-called']).toBe('+14155550999');
    expect(seen.headers['x-call']).toBe(callId);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body)).toEqual({
      patient: { name: 'Zoë Ann' },
      note: 'line',
      urgent: false,
      meta: { channel: 'phone', tz: 'Europe/Paris' },
      caller: { phone: '+14155550123' },
    });
  });

  it('leaves out a call-context value the call does not know, and never takes one from the model', async () => {
    const seen = await sent('every_place', { patient_id: 'p-9', day: '2026-12-01' });
    expect(seen.headers['x-call']).toBeUndefined();
    expect(seen.headers['x-called']).toBeUndefined();
    expect(JSON.parse(seen.body)).toEqual({ urgent: false, meta: { channel: 'phone' } });

    const before = upstream.requests.length;
    const res = await invoke(stack, 'every_place', { patient_id: 'p-9', day: '2026-12-01', org: 'other-org', 'caller.phone': '+1555' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
    expect(res.fieldErrors).toEqual(
      expect.arrayContaining([
        { field: 'org', message: 'org is set by the system and cannot be supplied' },
        { field: 'caller.phone', message: 'caller.phone is set by the system and cannot be supplied' },
      ]),
    );
    expect(upstream.requests.length).toBe(before);
  });

  it('sends a form body with nested names, repeated arrays and the caller number', async () => {
    const seen = await sent(
      'form_post',
      { name: 'Ann & Bob = 2', city: 'São Paulo', tags: ['x', 'y z'] },
      { context: { callerNumber: '+14155550123' } },
    );
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.body).toBe('name=Ann+%26+Bob+%3D+2&address.city=S%C3%A3o+Paulo&tags=x&tags=y+z&from=%2B14155550123');
    expect([...new URLSearchParams(seen.body)]).toEqual([
      ['name', 'Ann & Bob = 2'],
      ['address.city', 'São Paulo'],
      ['tags', 'x'],
      ['tags', 'y z'],
      ['from', '+14155550123'],
    ]);
  });

  it("keeps the caller's number out of Test output, though the upstream receives it", async () => {
    const res = await stack.executorClient.test({
      orgId: stack.orgId,
      toolKey: 'form_post',
      argumentsJson: JSON.stringify({ name: 'Ann' }),
      context: { callerNumber: '+14155550177', calledNumber: '', orgTimeZone: '', confirmationToken: '', callerRequest: undefined, verification: undefined },
    });
    expect(upstream.requests.at(-1)!.body).toContain('from=%2B14155550177');
    expect(res.request?.body).toBe('name=Ann&from=[REDACTED]');
    expect(JSON.stringify(res)).not.toContain('14155550177');
  });

  it.each([
    ['a space', 'a b', 'a%20b'],
    ['unicode', 'ünï©ødé 😀', encodeURIComponent('ünï©ødé 😀')],
    ['a slash', 'a/b', 'a%2Fb'],
    ['a question mark', 'what?x=1', 'what%3Fx%3D1'],
    ['a hash', 'frag#ment', 'frag%23ment'],
    ['a dot-dot path', '../../admin', '..%2F..%2Fadmin'],
    ['percent signs', '%2e%2e', '%252e%252e'],
    ['an ampersand', 'a&b=c', 'a%26b%3Dc'],
  ])('keeps %s inside its path segment and its query value, and signs what went on the wire', async (_what, value, encoded) => {
    const seen = await sent('edges', { name: value, v: value, q: value });
    expect(seen.url).toBe(`/files/${encoded}/raw?v=${encoded}&q=${encoded}`);
    expect(signatureOk.at(-1)).toBe(true);
  });

  it("signs a query value with an apostrophe exactly as it is sent (WHATWG URL encodes ' in queries)", async () => {
    const seen = await sent('edges', { name: "O'Brien", v: "O'Brien", q: "it's" });
    expect(seen.url).toBe("/files/O'Brien/raw?v=O%27Brien&q=it%27s");
    expect(signatureOk.at(-1)).toBe(true);
  });

  it('refuses a path value that is only dots, and a header value with a line break, before sending anything', async () => {
    const before = upstream.requests.length;
    for (const name of ['..', '.']) {
      const res = await invoke(stack, 'edges', { name });
      expect(outcomeName(res.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
      expect(res.fieldErrors.map((f) => f.field)).toEqual(['name']);
      expect(res.fieldErrors[0]!.message).toContain('must not be "." or ".."');
    }
    const res = await invoke(stack, 'edges', { name: 'x', label: 'ok\r\nX-Injected: 1' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
    expect(res.fieldErrors).toHaveLength(1);
    expect(res.fieldErrors[0]!.message).toContain('must not contain a line break');
    expect(upstream.requests.length).toBe(before);
  });

  it('names a refused header value by the argument the model sent, not by its header name', async () => {
    const res = await invoke(stack, 'edges', { name: 'x', label: 'ok\r\nX-Injected: 1' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
    // The model knows the argument "label"; "X-Label" is the integrator's wire name.
    expect(res.fieldErrors.map((f) => f.field)).toEqual(['label']);
  });

  it('adds the correlation headers, the request id and the trace context', async () => {
    const callId = randomUUID();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const md = new Metadata();
    md.set('traceparent', traceparent);
    const before = upstream.requests.length;
    const res = await stack.executorClient.invoke(
      { orgId: stack.orgId, toolKey: 'm_get', callId, argumentsJson: JSON.stringify({ id: 'x' }) },
      8_000,
      md,
    );
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(upstream.requests.length).toBe(before + 1);
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers['x-allison-call-id']).toBe(callId);
    expect(seen.headers['x-allison-org-id']).toBe(stack.orgId);
    expect(seen.headers['x-allison-tool-key']).toBe('m_get');
    expect(seen.headers['x-request-id']).toBe(res.invocationId);
    expect(seen.headers['traceparent']).toBe(traceparent);
  });

  it('signs a POST over method, path with query, timestamp and body, and the receiver can verify it', async () => {
    const seen = await sent('signed_post', { hook: 'h 1', text: 'Zoë said "hi"\n', who: 'a+b' });
    expect(seen.url).toBe('/hooks/h%201?mode=live&who=a%2Bb');
    expect(seen.headers['x-switchboard-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(Math.abs(Number(seen.headers['x-switchboard-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    expect(verifySignature(SIGNING_SECRET, seen.method, seen.url, seen.headers, seen.body)).toBe(true);
    // The verifier is not a rubber stamp: any change to what was signed, or the wrong secret, fails.
    expect(verifySignature('another-secret', seen.method, seen.url, seen.headers, seen.body)).toBe(false);
    expect(verifySignature(SIGNING_SECRET, seen.method, seen.url, seen.headers, seen.body.replace('hi', 'ho'))).toBe(false);
    expect(verifySignature(SIGNING_SECRET, seen.method, '/hooks/h%202?mode=live&who=a%2Bb', seen.headers, seen.body)).toBe(false);
    expect(verifySignature(SIGNING_SECRET, 'PUT', seen.url, seen.headers, seen.body)).toBe(false);
    expect(verifySignature(SIGNING_SECRET, seen.method, seen.url, seen.headers, seen.body, Date.now() + 600_000)).toBe(false);
    expect(stack.executor.output()).not.toContain(SIGNING_SECRET);
  });
});
