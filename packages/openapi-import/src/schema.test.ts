import { describe, expect, it } from 'vitest';
import { ParameterType, StringFormat } from '@switchboard/contracts';
import { draftParameter, looksLikeE164, normaliseSchema, type JsonType, type NormalSchema } from './schema.js';

function normal(schema: Record<string, unknown>): NormalSchema {
  const n = normaliseSchema(schema);
  if (!n.ok) throw new Error(n.why);
  return n.value;
}

function draft(schema: Record<string, unknown>, notes: string[] = []) {
  const n = normal(schema);
  return draftParameter(n, (n.type ?? 'string') as JsonType, notes);
}

describe('normaliseSchema', () => {
  it('reads "X or null" as X in 3.0 and 3.1 spellings', () => {
    expect(normal({ type: 'string', nullable: true }).type).toBe('string');
    expect(normal({ type: ['integer', 'null'] }).type).toBe('integer');
    expect(normal({ oneOf: [{ type: 'string', format: 'date' }, { type: 'null' }], description: 'd' }).schema).toMatchObject({
      type: 'string',
      format: 'date',
      description: 'd',
    });
  });

  it('merges allOf parts: properties, required, and the outer description wins', () => {
    const n = normal({
      description: 'outer',
      allOf: [
        { type: 'object', required: ['a'], properties: { a: { type: 'string' } }, description: 'inner' },
        { properties: { b: { type: 'integer' } }, required: ['b'] },
      ],
    });
    expect(n.type).toBe('object');
    expect(Object.keys(n.schema['properties'] as object)).toEqual(['a', 'b']);
    expect(n.schema['required']).toEqual(['a', 'b']);
    expect(n.schema['description']).toBe('outer');
  });

  it('refuses allOf of contradicting types and schemas of several types', () => {
    expect(normaliseSchema({ allOf: [{ type: 'string' }, { type: 'object' }] })).toMatchObject({ ok: false, why: 'allOf combines string and object' });
    expect(normaliseSchema({ type: ['string', 'object'] })).toMatchObject({ ok: false });
    expect(normaliseSchema({ oneOf: [{ type: 'string' }, { type: 'object' }] })).toMatchObject({ ok: false });
  });

  it('marks oneOf object shapes as a choice and reads oneOf scalars of one type as that type', () => {
    expect(normal({ oneOf: [{ type: 'object', properties: { a: {} } }, { type: 'object', properties: { b: {} } }] })).toMatchObject({ type: 'object', choice: 'oneOf' });
    const scalar = normal({ anyOf: [{ type: 'string', enum: ['a'] }, { type: 'string', enum: ['b'] }] });
    expect(scalar).toMatchObject({ type: 'string', schema: { enum: ['a', 'b'] } });
    expect(normal({ anyOf: [{ type: 'string', format: 'email' }, { type: 'string', format: 'uuid' }] }).schema['format']).toBeUndefined();
  });

  it('infers the type from enum, const, properties and items', () => {
    expect(normal({ enum: [1, 2] }).type).toBe('integer');
    expect(normal({ const: 'queued' }).schema['enum']).toEqual(['queued']);
    expect(normal({ properties: {} }).type).toBe('object');
    expect(normal({ items: {} }).type).toBe('array');
    expect(normal({}).type).toBeUndefined();
  });

  it('stops on a recursive schema instead of looping', () => {
    const node: Record<string, unknown> = {};
    node['allOf'] = [node];
    expect(normaliseSchema(node)).toMatchObject({ ok: false });
  });
});

describe('draftParameter', () => {
  it('maps the formats Switchboard checks', () => {
    expect(draft({ type: 'string', format: 'date' }).format).toBe(StringFormat.STRING_FORMAT_DATE);
    expect(draft({ type: 'string', format: 'date-time' }).format).toBe(StringFormat.STRING_FORMAT_DATE_TIME);
    expect(draft({ type: 'string', format: 'email' }).format).toBe(StringFormat.STRING_FORMAT_EMAIL);
    expect(draft({ type: 'string', format: 'uuid' }).format).toBe(StringFormat.STRING_FORMAT_UUID);
    expect(draft({ type: 'string', format: 'phone' }).format).toBe(StringFormat.STRING_FORMAT_PHONE_E164);
    expect(draft({ type: 'string', format: 'uri' }).format).toBe(StringFormat.STRING_FORMAT_UNSPECIFIED);
    // RFC 3339 time has an offset; Switchboard's time is a local HH:MM: not the same rule.
    expect(draft({ type: 'string', format: 'time' }).format).toBe(StringFormat.STRING_FORMAT_UNSPECIFIED);
  });

  it('reads an E.164 pattern as the phone format', () => {
    expect(looksLikeE164('^\\+[1-9]\\d{1,14}$')).toBe(true);
    expect(looksLikeE164('^\\+[0-9]{8,15}$')).toBe(true);
    expect(looksLikeE164('^[0-9]{10}$')).toBe(false);
    expect(looksLikeE164('^\\+?[1-9]\\d{1,14}$')).toBe(false);
    const d = draft({ type: 'string', pattern: '^\\+[1-9]\\d{1,14}$' });
    expect(d).toMatchObject({ format: StringFormat.STRING_FORMAT_PHONE_E164, pattern: '' });
    expect(draft({ type: 'string', pattern: '^\\+[0-9]{8,15}$' })).toMatchObject({ format: StringFormat.STRING_FORMAT_PHONE_E164, pattern: '^\\+[0-9]{8,15}$' });
  });

  it('keeps enum, bounds, lengths, pattern and a valid default', () => {
    expect(draft({ type: 'string', enum: ['a', 'b', null], default: 'a', minLength: 1, maxLength: 5, pattern: '^[ab]$' })).toMatchObject({
      type: ParameterType.PARAMETER_TYPE_STRING,
      enumValues: ['a', 'b'],
      defaultValue: 'a',
      minLength: 1,
      maxLength: 5,
      pattern: '^[ab]$',
    });
    expect(draft({ type: 'array', minItems: 1, maxItems: 3 })).toMatchObject({ minLength: 1, maxLength: 3 });
    expect(draft({ type: 'integer', minimum: 1, maximum: 9 })).toMatchObject({ minimum: 1, maximum: 9 });
  });

  it('turns exclusive bounds into inclusive ones (exactly for integers, with a note for numbers)', () => {
    expect(draft({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 })).toMatchObject({ minimum: 1, maximum: 9 });
    expect(draft({ type: 'integer', minimum: 0, exclusiveMinimum: true })).toMatchObject({ minimum: 1 });
    const notes: string[] = [];
    expect(draft({ type: 'number', exclusiveMinimum: 0 }, notes)).toMatchObject({ minimum: 0 });
    expect(notes).toEqual(['exclusive minimum 0 is checked as inclusive']);
  });

  it('leaves out, with a note, what it cannot check exactly', () => {
    const notes: string[] = [];
    const d = draft({ type: 'string', pattern: '(?<=x', enum: ['a', 2], default: 'zzz', maxLength: 2 }, notes);
    expect(d.pattern).toBe('');
    expect(d.enumValues).toBeUndefined();
    expect(d.defaultValue).toBeUndefined();
    expect(notes).toHaveLength(3);
    const empty: string[] = [];
    expect(draft({ type: 'integer', minimum: 5, maximum: 1 }, empty)).not.toHaveProperty('minimum');
    expect(empty).toHaveLength(1);
  });

  it('leaves out, with a note, a valid pattern the registry would refuse because RE2 cannot run it', () => {
    const notes: string[] = [];
    // A vendor's password rule: valid JavaScript, but look-ahead has no linear-time implementation.
    expect(draft({ type: 'string', pattern: '^(?=.*[A-Z])(?=.*\\d).{8,}$' }, notes).pattern).toBe('');
    expect(notes).toEqual([expect.stringMatching(/^its pattern uses look-around .* and was left out$/) as unknown]);
    expect(draft({ type: 'string', pattern: '^(a+)+$' }).pattern).toBe('^(a+)+$');
  });

  it('marks passwords sensitive and keeps a valid example only', () => {
    expect(draft({ type: 'string', format: 'password' }).sensitive).toBe(true);
    expect(draft({ type: 'string', format: 'date', example: '2026-03-03' }).example).toBe('2026-03-03');
    expect(draft({ type: 'string', format: 'date', example: 'tomorrow' }).example).toBeUndefined();
    expect(draft({ type: 'integer', examples: [7] }).example).toBe(7);
  });
});
