import { BodyEncoding, HttpMethod, Integration, ParameterLocation } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlacedValue } from './arguments.js';
import { requestTarget, type OutboundRequest } from './outbound-request.js';
import { buildRequest, type BuildRequestOptions } from './request-builder.js';

const { PARAMETER_LOCATION_PATH: PATH, PARAMETER_LOCATION_QUERY: QUERY, PARAMETER_LOCATION_HEADER: HEADER, PARAMETER_LOCATION_BODY: BODY } =
  ParameterLocation;

/** What Integration.fromPartial accepts; ts-proto does not export its own DeepPartial. */
type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function def(urlTemplate: string, extra: DeepPartial<Integration> = {}): Integration {
  return Integration.fromPartial({ key: 'tool', method: HttpMethod.HTTP_METHOD_GET, urlTemplate, ...extra });
}

function at(location: ParameterLocation, wireName: string, value: unknown, sensitive = false): PlacedValue {
  return { location, wireName, field: wireName, value, sensitive };
}

const TEST: BuildRequestOptions = { requestId: 'req-1' };

function url(req: OutboundRequest): URL {
  return new URL(requestTarget(req), req.origin);
}

function thrown(fn: () => unknown): SwitchboardError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwitchboardError) return err;
    throw err;
  }
  throw new Error('expected a SwitchboardError');
}

describe('buildRequest: methods', () => {
  it.each([
    [HttpMethod.HTTP_METHOD_GET, 'GET'],
    [HttpMethod.HTTP_METHOD_POST, 'POST'],
    [HttpMethod.HTTP_METHOD_PUT, 'PUT'],
    [HttpMethod.HTTP_METHOD_PATCH, 'PATCH'],
    [HttpMethod.HTTP_METHOD_DELETE, 'DELETE'],
  ])('%s is sent as %s', (method, name) => {
    const req = buildRequest(def('https://api.example.com/things', { method }), [], TEST);
    expect(req.method).toBe(name);
    expect(req.origin).toBe('https://api.example.com');
    expect(req.path).toBe('/things');
    expect(req.body).toBeUndefined();
    expect(req.headers).toEqual({ accept: 'application/json', 'x-request-id': 'req-1' });
  });
});

describe('buildRequest: path values', () => {
  const integration = def('https://api.example.com:8443/v1/patients/{patient_id}/visits');

  it.each([
    ['p1', '/v1/patients/p1/visits'],
    ['a b', '/v1/patients/a%20b/visits'],
    ['José 日本 😀', '/v1/patients/Jos%C3%A9%20%E6%97%A5%E6%9C%AC%20%F0%9F%98%80/visits'],
    ['a/b', '/v1/patients/a%2Fb/visits'],
    ['../admin', '/v1/patients/..%2Fadmin/visits'],
    ['a?b=1', '/v1/patients/a%3Fb%3D1/visits'],
    ['a#frag', '/v1/patients/a%23frag/visits'],
    ['100%', '/v1/patients/100%25/visits'],
    ['%2e%2e', '/v1/patients/%252e%252e/visits'],
    ['...', '/v1/patients/.../visits'],
    ['a\\b', '/v1/patients/a%5Cb/visits'],
    [42, '/v1/patients/42/visits'],
  ])('%j stays inside its segment', (value, path) => {
    const req = buildRequest(integration, [at(PATH, 'patient_id', value)], TEST);
    expect(req.path).toBe(path);
    const resolved = url(req);
    expect(resolved.origin).toBe('https://api.example.com:8443');
    expect(resolved.pathname).toBe(path);
    expect(decodeURIComponent(resolved.pathname.split('/')[3] ?? '')).toBe(String(value));
  });

  it.each(['.', '..'])('refuses %j, which URL resolution would turn into a step up', (value) => {
    const err = thrown(() => buildRequest(integration, [at(PATH, 'patient_id', value)], TEST));
    expect(err.reason).toBe('INVALID_ARGUMENTS');
    expect(err.fieldErrors).toEqual([{ field: 'patient_id', message: 'patient_id must not be "." or ".."' }]);
  });

  it('refuses an empty or missing path value', () => {
    expect(thrown(() => buildRequest(integration, [at(PATH, 'patient_id', '')], TEST)).reason).toBe('INVALID_ARGUMENTS');
    expect(thrown(() => buildRequest(integration, [], TEST)).reason).toBe('INVALID_ARGUMENTS');
  });

  it('refuses text with a lone surrogate, which cannot be percent-encoded', () => {
    const err = thrown(() => buildRequest(integration, [at(PATH, 'patient_id', 'a\uD800')], TEST));
    expect(err.reason).toBe('INVALID_ARGUMENTS');
    expect(err.fieldErrors[0]?.field).toBe('patient_id');
  });

  it('refuses a path value without a placeholder as a definition error', () => {
    expect(thrown(() => buildRequest(integration, [at(PATH, 'patient_id', 'p'), at(PATH, 'other', 'x')], TEST)).reason).toBe(
      'INVALID_DEFINITION',
    );
  });
});

describe('buildRequest: query values', () => {
  it('fills template placeholders and appends the rest, arrays as repeated keys', () => {
    const integration = def('https://api.example.com/slots?date={date}&fixed=1');
    const req = buildRequest(
      integration,
      [at(QUERY, 'date', '2025-03-14'), at(QUERY, 'kind', ['a b', 'c&d=e']), at(QUERY, 'n', 3), at(QUERY, 'skip', null)],
      TEST,
    );
    expect(req.path).toBe('/slots?date=2025-03-14&fixed=1');
    expect(req.query).toEqual([
      ['kind', 'a b'],
      ['kind', 'c&d=e'],
      ['n', '3'],
    ]);
    expect(requestTarget(req)).toBe('/slots?date=2025-03-14&fixed=1&kind=a%20b&kind=c%26d%3De&n=3');
    const params = url(req).searchParams;
    expect([...params.keys()]).toEqual(['date', 'fixed', 'kind', 'kind', 'n']);
    expect(params.getAll('kind')).toEqual(['a b', 'c&d=e']);
  });

  it.each(['a&admin=1', 'x#y', 'p+q', '?', '/../..', 'ü'])('a template query value %j cannot add a parameter', (value) => {
    const req = buildRequest(def('https://api.example.com/s?q={q}'), [at(QUERY, 'q', value)], TEST);
    const params = url(req).searchParams;
    expect([...params.keys()]).toEqual(['q']);
    expect(params.get('q')).toBe(value);
    expect(url(req).pathname).toBe('/s');
  });

  it('sends objects in the query as JSON text', () => {
    const req = buildRequest(def('https://api.example.com/s'), [at(QUERY, 'filter', { a: 1 })], TEST);
    expect(req.query).toEqual([['filter', '{"a":1}']]);
  });

  it('refuses a lone surrogate in an appended query value', () => {
    expect(thrown(() => buildRequest(def('https://api.example.com/s'), [at(QUERY, 'q', ['ok', '\uDC00'])], TEST)).reason).toBe(
      'INVALID_ARGUMENTS',
    );
  });
});

describe('buildRequest: headers', () => {
  const integration = def('https://api.example.com/s');

  it('lower-cases names and writes values as text', () => {
    const req = buildRequest(integration, [at(HEADER, 'X-Clinic-ID', 'c-1'), at(HEADER, 'X-Count', 2), at(HEADER, 'X-List', ['a', 'b'])], TEST);
    expect(req.headers).toEqual({
      accept: 'application/json',
      'x-clinic-id': 'c-1',
      'x-count': '2',
      'x-list': 'a, b',
      'x-request-id': 'req-1',
    });
  });

  it.each(['a\r\nx-admin: 1', 'a\nb', 'a\rb', 'a\0b'])('refuses %j naming the field', (value) => {
    const err = thrown(() => buildRequest(integration, [at(HEADER, 'X-Note', value)], TEST));
    expect(err.reason).toBe('INVALID_ARGUMENTS');
    expect(err.fieldErrors).toEqual([{ field: 'X-Note', message: 'X-Note must not contain a line break or NUL character' }]);
    expect(err.message).not.toContain('x-admin');
  });

  it('refuses characters a header cannot carry', () => {
    for (const value of ['日本', 'a\u0007b', 'a\u007fb']) {
      expect(thrown(() => buildRequest(integration, [at(HEADER, 'x-note', value)], TEST)).reason, value).toBe('INVALID_ARGUMENTS');
    }
    expect(buildRequest(integration, [at(HEADER, 'x-note', 'café\tok')], TEST).headers['x-note']).toBe('café\tok');
  });

  it('refuses framing headers and bad names as definition errors', () => {
    expect(thrown(() => buildRequest(integration, [at(HEADER, 'Host', 'evil.example')], TEST)).reason).toBe('INVALID_DEFINITION');
    expect(thrown(() => buildRequest(integration, [at(HEADER, 'Transfer-Encoding', 'chunked')], TEST)).reason).toBe('INVALID_DEFINITION');
    expect(thrown(() => buildRequest(integration, [at(HEADER, 'bad name', 'x')], TEST)).reason).toBe('INVALID_DEFINITION');
  });

  it('does not let a placed value forge a system header', () => {
    const req = buildRequest(
      integration,
      [at(HEADER, 'X-Request-ID', 'forged'), at(HEADER, 'x-allison-org-id', 'org_b')],
      { requestId: 'req-1', correlation: { orgId: 'org_a', toolKey: 'tool' } },
    );
    expect(req.headers['x-request-id']).toBe('req-1');
    expect(req.headers['x-allison-org-id']).toBe('org_a');
  });

  it('lists sensitive headers and query values as secret', () => {
    const req = buildRequest(integration, [at(HEADER, 'X-Member', 'm-1', true), at(QUERY, 'dob', '1980-01-01', true)], TEST);
    expect([...req.secretHeaders]).toEqual(['x-member']);
    expect([...req.secretQuery]).toEqual(['dob']);
  });
});

describe('buildRequest: correlation and tracing', () => {
  const integration = def('https://api.example.com/s');
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('adds the three correlation headers on a live call with a call id', () => {
    const req = buildRequest(integration, [], { requestId: 'r', traceparent, correlation: { callId: 'call-9', orgId: 'org_a', toolKey: 'tool' } });
    expect(req.headers).toMatchObject({
      'x-allison-call-id': 'call-9',
      'x-allison-org-id': 'org_a',
      'x-allison-tool-key': 'tool',
      'x-request-id': 'r',
      traceparent,
    });
  });

  it.each([undefined, ''])('leaves out the call id header when the call id is %j', (callId) => {
    const correlation = callId === undefined ? { orgId: 'org_a', toolKey: 'tool' } : { callId, orgId: 'org_a', toolKey: 'tool' };
    const req = buildRequest(integration, [], { requestId: 'r', correlation });
    expect(Object.keys(req.headers).sort()).toEqual(['accept', 'x-allison-org-id', 'x-allison-tool-key', 'x-request-id']);
  });

  it('sends no correlation header for a Test and drops a malformed traceparent', () => {
    const req = buildRequest(integration, [], { requestId: 'r', traceparent: 'junk\r\nx: y' });
    expect(req.headers).toEqual({ accept: 'application/json', 'x-request-id': 'r' });
  });
});

describe('buildRequest: bodies', () => {
  const post = (extra: DeepPartial<Integration> = {}) =>
    def('https://api.example.com/visits', { method: HttpMethod.HTTP_METHOD_POST, ...extra });

  it('composes a nested JSON body from dotted wire names', () => {
    const req = buildRequest(
      post(),
      [at(BODY, 'patient.name', 'Ann Lee'), at(BODY, 'patient.dob', '1980-01-01'), at(BODY, 'slot.start', '09:30'), at(BODY, 'note', 'a/b ü')],
      TEST,
    );
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body ?? '')).toEqual({
      patient: { name: 'Ann Lee', dob: '1980-01-01' },
      slot: { start: '09:30' },
      note: 'a/b ü',
    });
  });

  it('merges a nested value into an object argument without changing the argument', () => {
    const patient = { name: 'Ann' };
    const req = buildRequest(post(), [at(BODY, 'patient', patient), at(BODY, 'patient.clinic', 'c-1')], TEST);
    expect(JSON.parse(req.body ?? '')).toEqual({ patient: { name: 'Ann', clinic: 'c-1' } });
    expect(patient).toEqual({ name: 'Ann' });
    const reversed = buildRequest(post(), [at(BODY, 'patient.clinic', 'c-1'), at(BODY, 'patient', { name: 'Ann' })], TEST);
    expect(JSON.parse(reversed.body ?? '')).toEqual({ patient: { clinic: 'c-1', name: 'Ann' } });
  });

  it('refuses body fields that overlap a plain value', () => {
    const err = thrown(() => buildRequest(post(), [at(BODY, 'patient', 'Ann'), at(BODY, 'patient.id', 'p1')], TEST));
    expect(err.reason).toBe('INVALID_DEFINITION');
  });

  it('never lets a dotted name reach Object.prototype', () => {
    const req = buildRequest(post(), [at(BODY, 'a.__proto__.polluted', 'yes'), at(BODY, '__proto__', 'x')], TEST);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(req.body).toBe('{"a":{"__proto__":{"polluted":"yes"}},"__proto__":"x"}');
  });

  it('encodes a form body with dotted names for nesting and repeated keys for arrays', () => {
    const req = buildRequest(
      post({ bodyEncoding: BodyEncoding.BODY_ENCODING_FORM }),
      [
        at(BODY, 'patient.name', 'Ann Lee'),
        at(BODY, 'tags', ['a&b', 'c']),
        at(BODY, 'meta', { source: { kind: 'voice' } }),
        at(BODY, 'items', [{ id: 1 }]),
        at(BODY, 'none', null),
        at(BODY, 'city', 'Zürich'),
      ],
      TEST,
    );
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.body).toBe(
      'patient.name=Ann+Lee&tags=a%26b&tags=c&meta.source.kind=voice&items=%7B%22id%22%3A1%7D&none=&city=Z%C3%BCrich',
    );
    expect([...new URLSearchParams(req.body)]).toEqual([
      ['patient.name', 'Ann Lee'],
      ['tags', 'a&b'],
      ['tags', 'c'],
      ['meta.source.kind', 'voice'],
      ['items', '{"id":1}'],
      ['none', ''],
      ['city', 'Zürich'],
    ]);
  });

  it('keeps a content type the definition placed itself', () => {
    const req = buildRequest(post(), [at(HEADER, 'Content-Type', 'application/vnd.api+json'), at(BODY, 'a', 1)], TEST);
    expect(req.headers['content-type']).toBe('application/vnd.api+json');
  });

  it('refuses a body on GET unless the definition allows it', () => {
    const get = def('https://api.example.com/s');
    expect(thrown(() => buildRequest(get, [at(BODY, 'a', 1)], TEST)).reason).toBe('INVALID_DEFINITION');
    const allowed = def('https://api.example.com/s', { allowBodyOnAnyMethod: true });
    expect(buildRequest(allowed, [at(BODY, 'a', 1)], TEST).body).toBe('{"a":1}');
  });

  it('places values without a location by method: placeholder, then query for GET, body for POST', () => {
    const none = ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED;
    const get = buildRequest(def('https://api.example.com/p/{id}'), [at(none, 'id', 'x'), at(none, 'q', 'y')], TEST);
    expect(requestTarget(get)).toBe('/p/x?q=y');
    expect(get.body).toBeUndefined();
    const posted = buildRequest(post(), [at(none, 'q', 'y')], TEST);
    expect(posted.body).toBe('{"q":"y"}');
  });
});

describe('buildRequest: sensitive template values', () => {
  it('records a redacted path for sensitive path and template query values', () => {
    const req = buildRequest(
      def('https://api.example.com/members/{member}/visits?dob={dob}&d={d}'),
      [at(PATH, 'member', 'M 1', true), at(QUERY, 'dob', '1980-01-01', true), at(QUERY, 'd', 'x')],
      TEST,
    );
    expect(req.path).toBe('/members/M%201/visits?dob=1980-01-01&d=x');
    expect(req.redactedPath).toBe('/members/[REDACTED]/visits?dob=[REDACTED]&d=x');
  });

  it('records none when nothing in the template is sensitive', () => {
    const req = buildRequest(def('https://api.example.com/m/{m}'), [at(PATH, 'm', 'a')], TEST);
    expect(req.redactedPath).toBeUndefined();
  });
});

describe('buildRequest: properties (hostile values)', () => {
  const hostile = fc.oneof(
    fc.constantFrom('../', '/', '?', '#', '%2e%2e', '%2E%2E', '.', '..', '...', '%', '%00', ' ', '\\', '//evil.example', '@evil', 'ü', '日本', '😀', '\r\n', '\0', '\uD800', '&', '=', '+'),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.string(),
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.array(hostile, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')) },
    { weight: 1, arbitrary: hostile },
  );
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const integration = def('https://api.example.com:8443/v1/patients/{patient_id}/visits/{visit_id}?date={date}&fixed=1');

  it('keeps the origin, the literal prefix and every segment, and decodes each value back exactly', () => {
    fc.assert(
      fc.property(value, value, value, value, (patient, visit, date, extra) => {
        let req: OutboundRequest;
        try {
          req = buildRequest(
            integration,
            [at(PATH, 'patient_id', patient), at(PATH, 'visit_id', visit), at(QUERY, 'date', date), at(QUERY, 'extra', extra)],
            TEST,
          );
        } catch (err) {
          // Only the documented refusals: empty, dot segments, text that cannot be encoded.
          expect(err).toBeInstanceOf(SwitchboardError);
          expect((err as SwitchboardError).reason).toBe('INVALID_ARGUMENTS');
          const refusable = (v: string) => v === '' || v === '.' || v === '..' || lone.test(v);
          expect(refusable(patient) || refusable(visit) || lone.test(date) || lone.test(extra)).toBe(true);
          return;
        }
        const resolved = url(req);
        expect(resolved.origin).toBe('https://api.example.com:8443');
        expect(resolved.pathname.startsWith('/v1/patients/')).toBe(true);
        const segments = resolved.pathname.split('/');
        expect(segments).toHaveLength(6);
        expect(segments[4]).toBe('visits');
        expect(decodeURIComponent(segments[3] ?? '')).toBe(patient);
        expect(decodeURIComponent(segments[5] ?? '')).toBe(visit);
        expect([...resolved.searchParams.keys()]).toEqual(['date', 'fixed', 'extra']);
        expect(resolved.searchParams.get('date')).toBe(date);
        expect(resolved.searchParams.get('fixed')).toBe('1');
        expect(resolved.searchParams.get('extra')).toBe(extra);
        expect(resolved.hash).toBe('');
      }),
      { numRuns: 2000 },
    );
  });

  it('throws nothing but SwitchboardError for any JSON value in any placement', () => {
    const post = def('https://api.example.com/v1/{id}', { method: HttpMethod.HTTP_METHOD_POST });
    const anyValue = fc.oneof(value, fc.jsonValue());
    const location = fc.constantFrom(PATH, QUERY, HEADER, BODY, ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED);
    const name = fc.oneof(fc.constantFrom('id', 'q', 'x-h', 'a.b', 'a', '__proto__', 'constructor'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(fc.record({ location, name, v: anyValue }), { maxLength: 6 }), (items) => {
        try {
          const req = buildRequest(post, items.map((i) => at(i.location, i.name, i.v)), TEST);
          expect(url(req).origin).toBe('https://api.example.com');
          expect(url(req).pathname.startsWith('/v1/')).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(SwitchboardError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildRequest: request shapes shared by text', () => {
  it('definitions with the same URL template but another method or encoding each get their own shape', () => {
    const template = 'https://api.example.com/patients/{id}';
    const get = buildRequest(def(template), [at(PATH, 'id', 'p1')], TEST);
    expect(thrown(() => buildRequest(def(template), [at(PATH, 'id', 'p1'), at(BODY, 'note', 'x')], TEST)).reason, 'GET takes no body').toBe('INVALID_DEFINITION');
    const post = buildRequest(def(template, { method: HttpMethod.HTTP_METHOD_POST }), [at(PATH, 'id', 'p2'), at(BODY, 'note', 'x')], TEST);
    const form = buildRequest(def(template, { method: HttpMethod.HTTP_METHOD_POST, bodyEncoding: BodyEncoding.BODY_ENCODING_FORM }), [at(PATH, 'id', 'p3'), at(BODY, 'note', 'x')], TEST);
    expect([get.method, url(get).pathname]).toEqual(['GET', '/patients/p1']);
    expect([post.method, url(post).pathname, post.body]).toEqual(['POST', '/patients/p2', '{"note":"x"}']);
    expect([form.method, url(form).pathname, form.body]).toEqual(['POST', '/patients/p3', 'note=x']);
  });
});
