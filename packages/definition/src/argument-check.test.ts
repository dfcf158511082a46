import { HttpMethod, Integration, ParameterLocation, ParameterType, StringFormat, type Parameter } from '@switchboard/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkArguments, checkParameterValue } from './argument-check.js';
import { parametersJsonSchema } from './tool-schema.js';
import { validateIntegration } from './validate-integration.js';

type ParamSpec = Partial<Parameter> & { name: string };

function definition(spec: ParamSpec, sample?: Record<string, unknown>): Integration {
  return Integration.fromPartial({
    key: 'probe',
    name: 'Probe',
    description: 'Checks one value.',
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: 'https://api.example.com/probe',
    parameters: [{ type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, ...spec }],
    ...(sample === undefined ? {} : { sampleArguments: sample }),
  });
}

/** The registry's answer when the value is saved as a sample argument: accepted or not. */
function savedAsSample(spec: ParamSpec, value: unknown): boolean {
  return !validateIntegration(definition(spec, { [spec.name]: value })).some((p) => p.field.startsWith('sample_arguments'));
}

/** The registry's answer when the value is saved as the parameter's default. */
function savedAsDefault(spec: ParamSpec, value: unknown): boolean {
  return !validateIntegration(definition({ ...spec, defaultValue: value })).some((p) => p.field.endsWith('default_value'));
}

/** The executor's answer when the model sends the value (and when Test sends the saved sample). */
function acceptedAtCall(spec: ParamSpec, value: unknown): boolean {
  return checkArguments(definition(spec), JSON.parse(JSON.stringify({ [spec.name]: value })) as unknown).ok;
}

/**
 * The probes on which the registry's save-time check and the executor's call-time check used to
 * disagree, so a definition's saved sample arguments could fail its own Test. Each answer follows
 * what the model is told, the JSON Schema (draft 2020-12) in the tool schema; string-format.ts and
 * argument-check.ts say why for each.
 */
const probes: [string, ParamSpec, unknown, boolean][] = [
  // RFC 4122's string representation is the bare form; `urn:uuid:` wraps one.
  ['a uuid URN', { name: 'v', format: StringFormat.STRING_FORMAT_UUID }, 'urn:uuid:123e4567-e89b-12d3-a456-426614174000', false],
  ['a plain uuid', { name: 'v', format: StringFormat.STRING_FORMAT_UUID }, '123e4567-e89b-12d3-a456-426614174000', true],
  // RFC 3339 time-numoffset needs the colon.
  ['a date-time offset without a colon', { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME }, '2025-03-14T09:30:00+0100', false],
  ['a date-time offset with its colon', { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME }, '2025-03-14T09:30:00+01:00', true],
  // RFC 3339 allows second 60 for a leap second, which happens at 23:59:60 UTC.
  ['a leap second at 23:59:60 UTC', { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME }, '2016-12-31T23:59:60Z', true],
  ['a leap second written with an offset', { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME }, '2016-12-31T18:59:60-05:00', true],
  ['second 60 that is no leap second', { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME }, '2025-03-14T09:30:60Z', false],
  // `email` is an RFC 5321 mailbox, ASCII; non-ASCII addresses are `idn-email`, which the model is not told.
  ['a non-ASCII email address', { name: 'v', format: StringFormat.STRING_FORMAT_EMAIL }, 'jörg@bücher.de', false],
  // Beyond 2^53 a JSON number arrives rounded: the request would carry a number the model never wrote.
  ['an integer of 2^60', { name: 'v', type: ParameterType.PARAMETER_TYPE_INTEGER }, 2 ** 60, false],
  ['the largest exact integer', { name: 'v', type: ParameterType.PARAMETER_TYPE_INTEGER }, Number.MAX_SAFE_INTEGER, true],
  // JSON Schema's enum compares objects by their properties, not by the order they were written in.
  ['an enum object in another key order', { name: 'v', type: ParameterType.PARAMETER_TYPE_OBJECT, enumValues: [{ a: 1, b: 2 }] }, { b: 2, a: 1 }, true],
  // RFC 3339 section 5.6: "T" and "Z" may be lower case.
  ['a lower-case date-time', { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME }, '2025-03-14t09:30:00z', true],
];

/** The fastest of three runs: a loaded machine can pause any single run, but not all three. */
function fastestMs(run: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Patterns from a grammar rich in nested quantifiers and overlapping alternatives: the ReDoS shapes. */
const patternArbitrary: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', '\\d', '\\w', '.', '[ab]', '[^!]', 'a?', '\\s'),
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{1,3}', '{2,}', '*?', '+?')).map(([n, q]) => `(?:${n})${q}`),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => `${x}${y}`),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => `(${x}|${y})`),
    tie('node').map((n) => `(${n})+`),
  ),
})).node.map((body) => `^${body}$`);

/** Inputs that make backtracking engines explode on the patterns above. */
const HOSTILE_INPUTS = ['a'.repeat(10_240) + '!', 'ab'.repeat(5_120) + '!', '1'.repeat(10_240) + ' ', 'a '.repeat(5_120)];

describe('one argument checker: save time and call time agree', () => {
  it.each(probes)('%s', (_, spec, value, accepted) => {
    expect(acceptedAtCall(spec, value)).toBe(accepted);
    expect(savedAsSample(spec, value)).toBe(accepted);
    expect(savedAsDefault(spec, value)).toBe(accepted);
  });

  it('a saved sample always passes the call-time check, for any value', () => {
    const specs: ParamSpec[] = [
      { name: 'v', format: StringFormat.STRING_FORMAT_DATE_TIME },
      { name: 'v', format: StringFormat.STRING_FORMAT_EMAIL, maxLength: 40 },
      { name: 'v', type: ParameterType.PARAMETER_TYPE_INTEGER, minimum: -5 },
      { name: 'v', type: ParameterType.PARAMETER_TYPE_ARRAY, maxLength: 2 },
      { name: 'v', pattern: '^[a-c]+\\d?$' },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...specs), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.integer(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), (spec, value) => {
        expect(savedAsSample(spec, value)).toBe(acceptedAtCall(spec, value));
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkArguments', () => {
  it('names the field path and the rule, never the value', () => {
    const check = checkArguments(definition({ name: 'member_id', pattern: '^M\\d{4}$', maxLength: 5 }), { member_id: 'secret-value-123' });
    expect(check).toEqual({
      ok: false,
      problems: [{ field: 'member_id', message: 'member_id must be at most 5 characters long' }],
    });
  });

  it('refuses arguments nested too deeply before walking them', () => {
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
    const check = checkArguments(definition({ name: 'v', type: ParameterType.PARAMETER_TYPE_ARRAY, enumValues: [[1]] }), { v: deep });
    expect(check).toEqual({ ok: false, problems: [{ field: 'arguments', message: 'arguments are nested more than 32 levels deep' }] });
  });

  it('checks against the schema the model is shown', () => {
    const def = definition({ name: 'at', format: StringFormat.STRING_FORMAT_TIME, pattern: '^0' });
    expect(parametersJsonSchema(def)['properties']).toEqual({
      at: expect.objectContaining({ type: 'string', pattern: '^0', allOf: [{ pattern: '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$' }] }) as unknown,
    });
    expect(checkArguments(def, { at: '09:30' }).ok).toBe(true);
    expect(checkArguments(def, { at: '19:30' })).toEqual({ ok: false, problems: [{ field: 'at', message: 'at must match the pattern ^0' }] });
    expect(checkArguments(def, { at: '0' })).toEqual({
      ok: false,
      problems: [{ field: 'at', message: 'at must be a time in the form HH:MM or HH:MM:SS (24-hour clock)' }],
    });
  });
});

describe('definition patterns run in linear time (issue 17, item 2)', () => {
  it('no pattern the registry accepts takes more than a few ms on a 10 KB input', () => {
    let accepted = 0;
    fc.assert(
      fc.property(patternArbitrary, (pattern) => {
        if (validateIntegration(definition({ name: 'v', pattern })).length > 0) return;
        accepted += 1;
        const def = definition({ name: 'v', pattern });
        checkArguments(def, { v: 'warm-up' });
        for (const input of HOSTILE_INPUTS) {
          expect(fastestMs(() => checkArguments(def, { v: input })), `${pattern} on ${input.slice(0, 4)}…`).toBeLessThan(5);
        }
      }),
      { numRuns: 150 },
    );
    // The grammar must produce patterns the registry takes, or the property proves nothing.
    expect(accepted).toBeGreaterThan(100);
  });
});

describe('checkParameterValue', () => {
  it('answers the rest of a sentence, or undefined', () => {
    const p = definition({ name: 'n', type: ParameterType.PARAMETER_TYPE_INTEGER, minimum: 1 }).parameters[0] as Parameter;
    expect(checkParameterValue(p, 0)).toBe('must be at least 1');
    expect(checkParameterValue(p, 'one')).toBe('must be a whole number');
    expect(checkParameterValue(p, 3)).toBeUndefined();
  });
});

describe('compiled checks shared by schema', () => {
  it('compiles a schema once however many definition objects carry it (an executor rebuilding evicted definitions)', () => {
    const fresh = (i: number) =>
      definition({ name: `n${i}`, type: ParameterType.PARAMETER_TYPE_STRING, format: StringFormat.STRING_FORMAT_DATE, enumValues: ['2026-01-01', '2026-01-02'] })
        .parameters[0] as Parameter;
    const answers = new Set<string | undefined>();
    const started = performance.now();
    for (let i = 0; i < 3_000; i++) answers.add(checkParameterValue(fresh(i), '2026-01-03'));
    // ajv compiles one such schema in about half a millisecond: 3,000 compiles would take seconds.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect([...answers]).toHaveLength(1);
    expect([...answers][0]).toMatch(/must be one of/);
    expect(checkParameterValue(fresh(0), '2026-01-02')).toBeUndefined();
  });

  it('keeps schemas that differ apart', () => {
    const min = (m: number) => definition({ name: 'n', type: ParameterType.PARAMETER_TYPE_INTEGER, minimum: m }).parameters[0] as Parameter;
    expect(checkParameterValue(min(1), 0)).toBe('must be at least 1');
    expect(checkParameterValue(min(5), 3)).toBe('must be at least 5');
    expect(checkParameterValue(min(1), 3)).toBeUndefined();
  });
});
