import { ResponseMapping } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapResponse, parseResponseBody } from './response-mapper.js';

function mapping(fields: Record<string, string>, summaryTemplate = ''): ResponseMapping {
  return ResponseMapping.fromPartial({
    fields: Object.entries(fields).map(([name, expression]) => ({ name, expression })),
    summaryTemplate,
  });
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

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

const appointments = {
  patient: { id: 'p1', name: 'Ann Lee' },
  appointments: [
    { date: '2025-03-14', time: '09:30', doctor: 'Dr Okafor' },
    { date: '2025-03-21', time: '11:00', doctor: 'Dr Silva' },
  ],
};

describe('mapResponse', () => {
  it('maps two fields and renders the summary with the fields and the arguments', () => {
    const m = mapping(
      { next: 'appointments[0]', count: 'length(appointments)' },
      'Next visit for {{ args.patient_id }}: {{ next.date }} at {{ next.time }} ({{ count }} booked)',
    );
    const out = mapResponse(m, appointments, { patient_id: 'p1' }, 4096);
    expect(out.result).toEqual({ next: { date: '2025-03-14', time: '09:30', doctor: 'Dr Okafor' }, count: 2 });
    expect(out.resultJson).toBe(JSON.stringify(out.result));
    expect(out.truncated).toBe(false);
    expect(out.summary).toBe('Next visit for p1: 2025-03-14 at 09:30 (2 booked)');
  });

  it('maps a missing path to null', () => {
    expect(mapResponse(mapping({ gone: 'nothing.here' }), appointments, {}, 4096).result).toEqual({ gone: null });
  });

  it('uses the whole body when there are no fields, wrapping what is not an object', () => {
    expect(mapResponse(undefined, appointments, {}, 4096).result).toEqual(appointments);
    expect(mapResponse(mapping({}), [1, 2], {}, 4096).result).toEqual({ value: [1, 2] });
    expect(mapResponse(undefined, { text: 'ok' }, {}, 4096).resultJson).toBe('{"text":"ok"}');
    expect(mapResponse(undefined, 'plain', {}, 4096).resultJson).toBe('{"value":"plain"}');
    expect(mapResponse(undefined, null, {}, 4096).resultJson).toBe('{"value":null}');
    expect(mapResponse(undefined, undefined, {}, 4096).resultJson).toBe('{"value":null}');
  });

  it('renders a summary from the whole body when there are no fields', () => {
    expect(mapResponse(mapping({}, 'Patient {{ patient.name }}'), appointments, {}, 4096).summary).toBe('Patient Ann Lee');
  });

  it('reports an expression that fails on this response as MAPPING_FAILED naming the field', () => {
    const err = thrown(() => mapResponse(mapping({ ok: 'patient.id', total: 'sum(patient.name)' }), appointments, {}, 4096));
    expect(err.reason).toBe('MAPPING_FAILED');
    expect(err.message).toMatch(/^the expression for field total failed on this response/);
    expect(err.message).not.toContain('Ann Lee');
  });

  it('reports an expression that does not compile, every time', () => {
    const m = mapping({ broken: 'appointments[' });
    for (let i = 0; i < 2; i += 1) {
      const err = thrown(() => mapResponse(m, appointments, {}, 4096));
      expect(err.reason).toBe('MAPPING_FAILED');
      expect(err.message).toMatch(/^the expression for field broken is not valid JMESPath/);
    }
  });

  it('compiles a mapping once per mapping object', () => {
    const m = mapping({ id: 'patient.id' });
    expect(mapResponse(m, appointments, {}, 4096).result).toEqual({ id: 'p1' });
    (m.fields[0] as { expression: string }).expression = 'patient.name';
    expect(mapResponse(m, appointments, {}, 4096).result).toEqual({ id: 'p1' });
  });

  it('does not let a field named __proto__ disappear or change the prototype', () => {
    const m = ResponseMapping.fromPartial({ fields: [{ name: '__proto__', expression: 'patient' }] });
    const out = mapResponse(m, appointments, {}, 4096);
    expect(out.resultJson).toBe('{"__proto__":{"id":"p1","name":"Ann Lee"}}');
  });

  it('turns a stack-exhausting body into MAPPING_FAILED', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(thrown(() => mapResponse(undefined, { deep }, {}, 4096)).reason).toBe('MAPPING_FAILED');
  });
});

describe('mapResponse: truncation', () => {
  it('keeps a result at the limit whole and flags one byte over', () => {
    const body = { a: 'x'.repeat(100) };
    const size = bytes(JSON.stringify(body));
    expect(mapResponse(undefined, body, {}, size)).toMatchObject({ truncated: false, resultJson: JSON.stringify(body) });
    const cut = mapResponse(undefined, body, {}, size - 1);
    expect(cut.truncated).toBe(true);
    expect(bytes(cut.resultJson)).toBeLessThanOrEqual(size - 1);
    // 107 bytes: `{"a":` (5) + a quoted string of 83 (78 x and "…" in 3) + `,"_truncated":true}` (19).
    expect(cut.result).toEqual({ a: `${'x'.repeat(78)}…`, _truncated: true });
    expect(bytes(cut.resultJson)).toBe(107);
  });

  it('drops trailing array items and marks the result', () => {
    const body = { items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item ${i}` })) };
    const out = mapResponse(undefined, body, {}, 300);
    expect(out.truncated).toBe(true);
    expect(bytes(out.resultJson)).toBeLessThanOrEqual(300);
    const parsed = JSON.parse(out.resultJson) as { items: { id: number }[]; _truncated: boolean };
    expect(out.result).toEqual(parsed);
    expect(parsed._truncated).toBe(true);
    expect(parsed.items.length).toBeGreaterThan(3);
    expect(parsed.items.length).toBeLessThan(100);
    expect(parsed.items).toEqual(body.items.slice(0, parsed.items.length));
  });

  it('shortens a long string, ending it with an ellipsis, counting UTF-8 bytes', () => {
    const body = { note: 'é'.repeat(1000), after: 1 };
    const out = mapResponse(undefined, body, {}, 200);
    expect(bytes(out.resultJson)).toBeLessThanOrEqual(200);
    const parsed = JSON.parse(out.resultJson) as { note: string; after?: number };
    expect(parsed.note.endsWith('…')).toBe(true);
    expect(parsed.note.length).toBeGreaterThan(50);
    expect(parsed.after).toBeUndefined();
    expect(bytes(out.resultJson)).toBeGreaterThan(190);
  });

  it('never splits a surrogate pair', () => {
    const out = mapResponse(undefined, { s: '😀'.repeat(100) }, {}, 101);
    const parsed = JSON.parse(out.resultJson) as { s: string };
    expect(parsed.s).toMatch(/^(😀)+…$/u);
  });

  it('drops fields from the end', () => {
    const body = { first: 'a'.repeat(40), second: 'b'.repeat(40), third: 'c'.repeat(40) };
    const out = mapResponse(undefined, body, {}, 120);
    const parsed = JSON.parse(out.resultJson) as Record<string, string>;
    expect(parsed['first']).toBe(body.first);
    expect(parsed['third']).toBeUndefined();
    expect(parsed['_truncated']).toBe(true);
  });

  it('gives {} when even the marker does not fit', () => {
    const out = mapResponse(undefined, { a: 'long enough to cut' }, {}, 10);
    expect(out).toMatchObject({ resultJson: '{}', truncated: true, result: {} });
    expect(mapResponse(undefined, { a: 'long enough to cut' }, {}, 19).resultJson).toBe('{"_truncated":true}');
  });

  it('keeps every result valid JSON within the limit (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 400 }), (body, limit) => {
        const out = mapResponse(undefined, body, {}, limit);
        const parsed = JSON.parse(out.resultJson) as unknown;
        expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
        expect(JSON.stringify(out.result)).toBe(out.resultJson);
        const whole = JSON.stringify(typeof body === 'object' && body !== null && !Array.isArray(body) ? body : { value: body });
        expect(out.truncated).toBe(bytes(whole) > limit);
        if (out.truncated) expect(bytes(out.resultJson)).toBeLessThanOrEqual(Math.max(limit, 2));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws nothing but SwitchboardError for any expression and body (property)', () => {
    const expression = fc.oneof(
      fc.constantFrom('a', 'a.b', 'a[0]', 'length(a)', 'sum(a)', 'sort_by(a, &b)', 'a[?b > `1`]', '@', '$', 'to_number(a)', 'a |', '[', 'abs(a)'),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), expression, (body, expr) => {
        try {
          mapResponse(mapping({ f: expr }), body, {}, 256);
        } catch (err) {
          expect(err).toBeInstanceOf(SwitchboardError);
          expect((err as SwitchboardError).reason).toBe('MAPPING_FAILED');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseResponseBody', () => {
  const json = Buffer.from('{"ok":true}');

  it.each(['application/json', 'application/json; charset=utf-8', 'Application/Problem+JSON', 'application/vnd.api+json', 'text/json'])(
    'reads %s as JSON',
    (type) => {
      expect(parseResponseBody(type, json)).toEqual({ ok: true });
    },
  );

  it('reads JSON after a byte order mark', () => {
    expect(parseResponseBody('application/json', Buffer.from('\uFEFF[1]'))).toEqual([1]);
  });

  it('reads an empty body as null', () => {
    expect(parseResponseBody('application/json', Buffer.alloc(0))).toBeNull();
    expect(parseResponseBody(undefined, Buffer.from(' \n'))).toBeNull();
  });

  it('refuses invalid JSON under a JSON type without quoting the body', () => {
    const html = Buffer.from('<html><body>Patient Ann Lee not found</body></html>');
    const err = thrown(() => parseResponseBody('application/json', html));
    expect(err.reason).toBe('MAPPING_FAILED');
    expect(err.message).toBe(
      `the response is labelled application/json but its body is not valid JSON (${html.length} bytes, and it looks like HTML or XML)`,
    );
    expect(thrown(() => parseResponseBody('application/json', Buffer.from('{"a":'))).message).toBe(
      'the response is labelled application/json but its body is not valid JSON (5 bytes)',
    );
  });

  it('reads text types as { text }, honouring the charset', () => {
    expect(parseResponseBody('text/plain', Buffer.from('Booked.'))).toEqual({ text: 'Booked.' });
    expect(parseResponseBody('text/html; charset=UTF-8', Buffer.from('<p>ü</p>'))).toEqual({ text: '<p>ü</p>' });
    expect(parseResponseBody('text/plain; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toEqual({ text: 'café' });
    expect(parseResponseBody('application/xml', Buffer.from('<a/>'))).toEqual({ text: '<a/>' });
    expect(parseResponseBody('text/plain', Buffer.alloc(0))).toEqual({ text: '' });
  });

  it('reads an unlabelled body as JSON when it looks like JSON, else as text', () => {
    expect(parseResponseBody(undefined, Buffer.from('  {"a":1}'))).toEqual({ a: 1 });
    expect(parseResponseBody('', Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(parseResponseBody(undefined, Buffer.from('{not json'))).toEqual({ text: '{not json' });
    expect(parseResponseBody(undefined, Buffer.from('OK'))).toEqual({ text: 'OK' });
  });

  it('refuses binary bodies', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    expect(thrown(() => parseResponseBody('image/png', png)).message).toBe(
      'the response is image/png, which is neither JSON nor text and cannot be mapped',
    );
    expect(thrown(() => parseResponseBody('application/octet-stream', png)).reason).toBe('MAPPING_FAILED');
    expect(thrown(() => parseResponseBody(undefined, png)).message).toBe(
      'the response has no content type and is not JSON or text (10 bytes)',
    );
  });

  it('throws nothing but SwitchboardError for any bytes and type (property)', () => {
    const type = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('application/json', 'text/plain; charset=bogus', 'text/plain; charset=utf-16le', 'image/png', 'x/+json', ';;'),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(type, fc.uint8Array({ maxLength: 64 }), (contentType, raw) => {
        try {
          parseResponseBody(contentType, Buffer.from(raw));
        } catch (err) {
          expect(err).toBeInstanceOf(SwitchboardError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('mappings shared by text', () => {
  it('definitions with the same mapping text share its compiled form, and each call maps its own body', () => {
    const a = mapping({ next: 'appointments[0].time' }, 'At {{ next }} for {{ args.who }}.');
    const b = mapping({ next: 'appointments[0].time' }, 'At {{ next }} for {{ args.who }}.');
    expect(mapResponse(a, appointments, { who: 'Ann' }, 4096).summary).toBe('At 09:30 for Ann.');
    expect(mapResponse(b, { appointments: [{ time: '17:45' }] }, { who: 'Bo' }, 4096)).toMatchObject({ result: { next: '17:45' }, summary: 'At 17:45 for Bo.' });
  });

  it('the same expressions under other field names, or another summary, are compiled on their own', () => {
    const byTime = mapping({ next: 'appointments[0].time' }, '{{ next }}');
    const byOther = mapping({ first: 'appointments[0].time' }, 'first: {{ first }}');
    expect(mapResponse(byTime, appointments, {}, 4096)).toMatchObject({ result: { next: '09:30' }, summary: '09:30' });
    expect(mapResponse(byOther, appointments, {}, 4096)).toMatchObject({ result: { first: '09:30' }, summary: 'first: 09:30' });
  });

  it('a mapping that does not compile fails the same way for every definition holding it', () => {
    const bad = () => mapping({ next: 'appointments[' });
    expect(thrown(() => mapResponse(bad(), appointments, {}, 4096)).reason).toBe('MAPPING_FAILED');
    expect(thrown(() => mapResponse(bad(), appointments, {}, 4096)).reason).toBe('MAPPING_FAILED');
  });
});
