import { describe, expect, it } from 'vitest';
import { BodyEncoding, ParameterType } from '@switchboard/contracts';
import { bodyExampleAt, translateBody, type TranslatedBody } from './request-body.js';

function body(schema: unknown, mediaType = 'application/json', required = true): TranslatedBody {
  const result = translateBody({ required, content: { [mediaType]: { schema } } });
  if (!result.ok) throw new Error(result.why);
  return result.value;
}

const wires = (b: TranslatedBody) => b.fields.map((f) => `${f.wireName}${f.required ? '*' : ''}`);

describe('translateBody', () => {
  it('flattens nested objects to dotted wire names; required only when every level is', () => {
    const b = body({
      type: 'object',
      required: ['contact', 'source'],
      properties: {
        contact: { type: 'object', required: ['phone'], properties: { phone: { type: 'string' }, email: { type: 'string' } } },
        interest: { type: 'object', required: ['service'], properties: { service: { type: 'string' } } },
        source: { type: 'string' },
        id: { type: 'string', readOnly: true },
      },
    });
    expect(wires(b)).toEqual(['contact.phone*', 'contact.email', 'interest.service', 'source*']);
    expect(b.encoding).toBe(BodyEncoding.BODY_ENCODING_UNSPECIFIED);
  });

  it('keeps deep, free-form and one-of-several objects as one object parameter', () => {
    const b = body({
      type: 'object',
      properties: {
        a: { type: 'object', properties: { b: { type: 'object', properties: { c: { type: 'object', properties: { d: { type: 'string' } } } } } } },
        meta: { type: 'object', additionalProperties: { type: 'string' } },
        target: { oneOf: [{ type: 'object', properties: { sms: { type: 'string' } } }, { type: 'object', properties: { email: { type: 'string' } } }] },
      },
    });
    expect(wires(b)).toEqual(['a.b.c', 'meta', 'target']);
    expect(b.fields.every((f) => f.draft.type === ParameterType.PARAMETER_TYPE_OBJECT)).toBe(true);
    expect(b.notes.join('\n')).toContain('a.b.c is an object 3 levels down');
    expect(b.notes.join('\n')).toContain('target is oneOf several object shapes');
  });

  it('form-encodes an x-www-form-urlencoded body and refuses nesting in it', () => {
    const b = body({ type: 'object', properties: { text: { type: 'string' }, meta: { type: 'object', properties: { a: { type: 'string' } } } } }, 'application/x-www-form-urlencoded');
    expect(b.encoding).toBe(BodyEncoding.BODY_ENCODING_FORM);
    expect(wires(b)).toEqual(['text']);
    expect(b.skipped).toEqual([{ what: 'body field meta', why: 'is an object, which a form-encoded body cannot nest' }]);
  });

  it('sends a vendor JSON media type as the content type', () => {
    expect(body({ type: 'object', properties: { a: { type: 'string' } } }, 'application/vnd.api+json').contentType).toBe('application/vnd.api+json');
    expect(body({ type: 'object', properties: { a: { type: 'string' } } }, 'application/json; charset=utf-8').contentType).toBeUndefined();
  });

  it('prefers JSON when several media types are offered, and says so', () => {
    const result = translateBody({ content: { 'application/xml': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object', properties: { a: { type: 'string' } } } } } });
    expect(result.ok && result.value.notes[0]).toContain('also accepts application/xml');
  });

  it('refuses a required body it cannot send, and leaves out an optional one with the reason', () => {
    expect(translateBody({ required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } })).toEqual({
      ok: false,
      why: 'its request body is multipart/form-data; Switchboard sends JSON or form-encoded bodies only',
    });
    const optional = translateBody({ content: { 'application/octet-stream': {} } });
    expect(optional.ok && optional.value.skipped).toEqual([{ what: 'request body', why: 'is application/octet-stream; Switchboard sends JSON or form-encoded bodies only' }]);
    for (const schema of [{ type: 'array', items: { type: 'string' } }, { oneOf: [{ type: 'object' }, { type: 'object' }] }, { type: 'object' }]) {
      expect(translateBody({ required: true, content: { 'application/json': { schema } } }).ok).toBe(false);
    }
  });

  it('imports the first usable shape of a oneOf body, and says which', () => {
    // A booking for a person or for a team (the shape of cal.com's create-booking): the first shape
    // with a field that can be sent wins; one whose fields are all untyped is passed over.
    const schema = {
      oneOf: [
        { type: 'object', properties: { anything: {} } },
        { type: 'object', title: 'Person booking', required: ['start', 'attendee'], properties: { start: { type: 'string', format: 'date-time' }, attendee: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
        { type: 'object', title: 'Team booking', required: ['teamId'], properties: { teamId: { type: 'integer' } } },
      ],
    };
    const result = translateBody({ required: true, content: { 'application/json': { schema } } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.fields.map((f) => [f.wireName, f.required])).toEqual([
      ['start', true],
      ['attendee.name', true],
    ]);
    expect(result.value.notes).toContain('the request body is oneOf 3 shapes: shape 2 (Person booking) is imported; import the operation again and edit the copy for another');
  });

  it('refuses the operation for a required field it cannot express, and leaves an optional one out', () => {
    expect(translateBody({ required: true, content: { 'application/json': { schema: { type: 'object', required: ['x'], properties: { x: { type: ['string', 'object'] } } } } } })).toMatchObject({ ok: false });
    const b = body({ type: 'object', properties: { 'a.b': { type: 'string' }, ok: { type: 'string' } } });
    expect(wires(b)).toEqual(['ok']);
    expect(b.skipped[0]?.what).toBe('body field a.b');
  });

  it('makes every field optional when the body itself is optional', () => {
    expect(wires(body({ type: 'object', required: ['a'], properties: { a: { type: 'string' } } }, 'application/json', false))).toEqual(['a']);
  });

  it('finds examples at a dotted path in the media type example or examples', () => {
    const rb = { content: { 'application/json': { examples: { one: { value: { contact: { phone: '+15551234567' } } } } } } };
    expect(bodyExampleAt(rb, 'contact.phone')).toBe('+15551234567');
    expect(bodyExampleAt(rb, 'contact.email')).toBeUndefined();
  });
});

describe('translateBody: a body too large to flatten', () => {
  it('keeps top-level fields as parameters, objects with their properties, when flattening makes more than a definition holds', () => {
    const properties: Record<string, unknown> = {};
    for (let n = 0; n < 30; n += 1) properties[`group${n}`] = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' }, c: { type: 'boolean' } } };
    const result = translateBody({ content: { 'application/json': { schema: { type: 'object', properties } } } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.fields).toHaveLength(30);
    expect(result.value.fields[0]?.wireName).toBe('group0');
    expect(result.value.fields[0]?.draft.properties.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(result.value.notes).toContain("the request body's 90 nested fields are more than the 64 parameters a definition holds: each top-level field is one parameter, objects with their properties");
  });
});
