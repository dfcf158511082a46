import { BodyEncoding, ContextField, HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { resolvePlacedValues } from './arguments.js';
import type { OutboundRequest } from './outbound-request.js';
import { REDACTED, redactArguments, redactRequest, sensitiveBodyKeys } from './redact.js';
import { buildRequest } from './request-builder.js';
import { signRequest } from './signing.js';

function request(overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return {
    method: 'POST',
    origin: 'https://api.example.com',
    path: '/v1/visits',
    query: [],
    headers: { accept: 'application/json' },
    body: undefined,
    secretHeaders: new Set(),
    secretQuery: new Set(),
    ...overrides,
  };
}

describe('redactRequest', () => {
  it('hides secret headers by name, and authorization and cookies always', () => {
    const out = redactRequest(
      request({
        headers: { accept: 'application/json', 'x-api-key': 'k-123', authorization: 'Bearer t-456', cookie: 's=1', 'x-clinic': 'c-1' },
        secretHeaders: new Set(['X-API-Key']),
      }),
    );
    expect(out.headers).toEqual([
      { name: 'accept', value: 'application/json' },
      { name: 'x-api-key', value: REDACTED },
      { name: 'authorization', value: REDACTED },
      { name: 'cookie', value: REDACTED },
      { name: 'x-clinic', value: 'c-1' },
    ]);
  });

  it('hides the signature (replayable beside the method, URL, timestamp and body) but keeps the timestamp', () => {
    const req = request({ body: '{"a":1}' });
    signRequest(req, 'whsec-1', 1_700_000_000_000);
    const out = redactRequest(req);
    expect(out.headers).toContainEqual({ name: 'x-switchboard-signature', value: REDACTED });
    expect(out.headers).toContainEqual({ name: 'x-switchboard-timestamp', value: '1700000000' });
    expect(JSON.stringify(out)).not.toContain(req.headers['x-switchboard-signature']!.slice(3));
  });

  it('hides secret query values in the URL and keeps the rest encoded', () => {
    const out = redactRequest(
      request({
        path: '/v1/visits?api_key=k-123&date=2025-03-14',
        query: [
          ['token', 't-456'],
          ['q', 'a b&c'],
        ],
        secretQuery: new Set(['api_key', 'token']),
      }),
    );
    expect(out.url).toBe('https://api.example.com/v1/visits?api_key=[REDACTED]&date=2025-03-14&token=[REDACTED]&q=a%20b%26c');
  });

  it('builds the URL like the request target when nothing is secret', () => {
    const out = redactRequest(request({ method: 'GET', query: [['q', 'ü']] }));
    expect(out).toEqual({ method: 'GET', url: 'https://api.example.com/v1/visits?q=%C3%BC', headers: [{ name: 'accept', value: 'application/json' }], body: '' });
  });

  it('uses the redacted path when the request has one', () => {
    const out = redactRequest(request({ path: '/members/M1', redactedPath: '/members/[REDACTED]' }));
    expect(out.url).toBe('https://api.example.com/members/[REDACTED]');
  });

  it('hides sensitive fields of a JSON body, nested ones included', () => {
    const body = JSON.stringify({ patient: { name: 'Ann', ssn: '078-05-1120' }, card: { number: '4111', cvc: '123' }, note: 'hi' });
    const out = redactRequest(
      request({ body, headers: { 'content-type': 'application/json' } }),
      new Set(['patient.ssn', 'card', 'absent.field']),
    );
    expect(JSON.parse(out.body)).toEqual({ patient: { name: 'Ann', ssn: REDACTED }, card: REDACTED, note: 'hi' });
  });

  it('hides sensitive fields of a form body, objects flattened into dotted names included', () => {
    const body = 'patient.name=Ann&patient.ssn=078-05-1120&card.number=4111&card.cvc=123&cardholder=Ann';
    const out = redactRequest(
      request({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      new Set(['patient.ssn', 'card']),
    );
    expect(out.body).toBe('patient.name=Ann&patient.ssn=[REDACTED]&card.number=[REDACTED]&card.cvc=[REDACTED]&cardholder=Ann');
  });

  it('hides a body it cannot read while it has fields to hide', () => {
    const out = redactRequest(request({ body: 'ssn: 078-05-1120', headers: { 'content-type': 'text/plain' } }), new Set(['ssn']));
    expect(out.body).toBe(REDACTED);
  });

  it('leaves the body alone when nothing is sensitive', () => {
    expect(redactRequest(request({ body: '{"a":1}' })).body).toBe('{"a":1}');
    expect(redactRequest(request({ body: '{"a":1}' }), new Set()).body).toBe('{"a":1}');
  });
});

describe('redaction of a built request', () => {
  const secrets = ['M-7781', '1980-02-03', 'tok-secret', '078-05-1120', '4111111111111111', '+15550001111'];

  const integration = (bodyEncoding: BodyEncoding) =>
    Integration.fromPartial({
      key: 'book',
      method: HttpMethod.HTTP_METHOD_POST,
      urlTemplate: 'https://api.example.com/members/{member}/visits?dob={dob}',
      bodyEncoding,
      parameters: [
        { name: 'member', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_PATH, sensitive: true },
        { name: 'dob', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, sensitive: true },
        { name: 'token', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_HEADER, wireName: 'X-Member-Token', sensitive: true },
        { name: 'ssn', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'patient.ssn', sensitive: true },
        { name: 'card', type: ParameterType.PARAMETER_TYPE_OBJECT, location: ParameterLocation.PARAMETER_LOCATION_BODY, sensitive: true },
        { name: 'name', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'patient.name' },
      ],
      contextValues: [{ name: 'from', location: ParameterLocation.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
    });
  const values = { member: 'M-7781', dob: '1980-02-03', token: 'tok-secret', ssn: '078-05-1120', card: { number: '4111111111111111' }, name: 'Ann' };

  it.each([BodyEncoding.BODY_ENCODING_JSON, BodyEncoding.BODY_ENCODING_FORM])('leaves no sensitive value in the Test output (encoding %s)', (encoding) => {
    const def = integration(encoding);
    const placed = resolvePlacedValues(def, values, { orgId: 'org_a', callerNumber: '+15550001111' });
    const req = buildRequest(def, placed, { requestId: 'r-1' });
    const sent = JSON.stringify({ path: req.path, headers: req.headers, body: req.body });
    for (const secret of secrets) expect(sent).toContain(encoding === BodyEncoding.BODY_ENCODING_FORM && secret.startsWith('+') ? '%2B15550001111' : secret);

    const shown = JSON.stringify(redactRequest(req, sensitiveBodyKeys(def)));
    for (const secret of secrets) expect(shown).not.toContain(secret);
    expect(shown).not.toContain('%2B15550001111');
    expect(shown).toContain('Ann');
    expect(shown).toContain('https://api.example.com/members/[REDACTED]/visits?dob=[REDACTED]');
  });
});

describe('redactArguments and sensitiveBodyKeys', () => {
  const def = Integration.fromPartial({
    key: 't',
    urlTemplate: 'https://api.example.com/',
    parameters: [
      { name: 'ssn', sensitive: true, location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'patient.ssn' },
      { name: 'pin', sensitive: true, location: ParameterLocation.PARAMETER_LOCATION_HEADER },
      { name: 'secret_note', sensitive: true },
      { name: 'date' },
    ],
  });

  it('replaces the values of sensitive parameters only', () => {
    const values = { ssn: '078-05-1120', pin: 1234, date: '2025-03-14' };
    expect(redactArguments(def, values)).toEqual({ ssn: REDACTED, pin: REDACTED, date: '2025-03-14' });
    expect(values.ssn).toBe('078-05-1120');
  });

  it('lists the body names of sensitive parameters that are or may be in the body', () => {
    expect([...sensitiveBodyKeys(def)]).toEqual(['patient.ssn', 'secret_note']);
  });
});
