import {
  ContextField,
  HttpMethod,
  Integration,
  ParameterLocation,
  ParameterType,
  StringFormat,
  type Parameter,
} from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ARGUMENTS_BYTES,
  parseArgumentsJson,
  resolvePlacedValues,
  validateArguments,
  type ArgumentCheck,
} from './arguments.js';
import { buildRequest } from './request-builder.js';

type ParamSpec = Partial<Parameter> & { name: string };

/** What Integration.fromPartial accepts; ts-proto does not export its own DeepPartial. */
type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function integration(parameters: ParamSpec[], extra: DeepPartial<Integration> = {}): Integration {
  return Integration.fromPartial({
    key: 'book_visit',
    urlTemplate: 'https://pms.example.com/visits',
    ...extra,
    parameters: parameters.map((p) => ({ type: ParameterType.PARAMETER_TYPE_STRING, ...p })),
  });
}

function problems(check: ArgumentCheck): string[] {
  return check.ok ? [] : check.problems.map((p) => `${p.field}: ${p.message}`);
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

describe('parseArgumentsJson', () => {
  it('reads an empty string as no arguments', () => {
    expect(parseArgumentsJson('')).toEqual({});
    expect(parseArgumentsJson('  \n')).toEqual({});
  });

  it('returns the parsed object', () => {
    expect(parseArgumentsJson('{"date":"2025-03-14","party_size":2}')).toEqual({ date: '2025-03-14', party_size: 2 });
  });

  it('refuses bad JSON without echoing it', () => {
    const err = thrown(() => parseArgumentsJson('{"ssn": "078-05-1120" oops'));
    expect(err.reason).toBe('INVALID_ARGUMENTS');
    expect(err.message).toBe('arguments are not valid JSON');
    expect(err.message).not.toContain('078');
    expect(err.cause).toBeUndefined();
  });

  it.each([
    ['[1,2]', 'an array'],
    ['null', 'null'],
    ['"078-05-1120"', 'a string'],
    ['42', 'a number'],
    ['true', 'a boolean'],
  ])('refuses %s as %s', (json, shape) => {
    const err = thrown(() => parseArgumentsJson(json));
    expect(err.reason).toBe('INVALID_ARGUMENTS');
    expect(err.message).toBe(`arguments must be a JSON object, not ${shape}`);
  });

  it('accepts exactly 64 KiB and refuses one byte more, counting UTF-8 bytes', () => {
    const fill = (n: number) => `{"a":"${'x'.repeat(n - 8)}"}`;
    expect(parseArgumentsJson(fill(MAX_ARGUMENTS_BYTES))).toHaveProperty('a');
    expect(thrown(() => parseArgumentsJson(fill(MAX_ARGUMENTS_BYTES + 1))).reason).toBe('INVALID_ARGUMENTS');
    // 30 000 two-byte characters: fewer UTF-16 units than the limit, more bytes.
    const wide = `{"a":"${'é'.repeat(33_000)}"}`;
    expect(wide.length).toBeLessThan(MAX_ARGUMENTS_BYTES);
    expect(thrown(() => parseArgumentsJson(wide)).message).toContain('larger than the limit');
  });
});

describe('validateArguments: names', () => {
  const def = integration([{ name: 'date' }, { name: 'party_size', type: ParameterType.PARAMETER_TYPE_INTEGER }], {
    fixedValues: [{ name: 'clinic_id', location: ParameterLocation.PARAMETER_LOCATION_QUERY, value: 'c-1' }],
    contextValues: [{ name: 'caller', location: ParameterLocation.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
  });

  it('refuses an unknown argument and lists the expected ones', () => {
    expect(problems(validateArguments(def, { dat: '2025-03-14' }))).toEqual([
      'dat: unknown argument dat; expected one of: date, party_size',
    ]);
  });

  it('refuses fixed and context value names without merging them', () => {
    const check = validateArguments(def, { clinic_id: 'c-666', caller: '+15550000000' });
    expect(problems(check)).toEqual([
      'clinic_id: clinic_id is set by the system and cannot be supplied',
      'caller: caller is set by the system and cannot be supplied',
    ]);
  });

  it('says so when a tool takes no arguments', () => {
    expect(problems(validateArguments(integration([]), { x: 1 }))).toEqual(['x: unknown argument x; this tool takes no arguments']);
  });

  it('quotes and shortens odd names and caps the list', () => {
    const args: Record<string, unknown> = { 'bad\nname': 1 };
    for (let i = 0; i < 20; i += 1) args[`k${i}`] = i;
    const list = problems(validateArguments(def, args));
    expect(list[0]).toBe('"bad\\nname": unknown argument "bad\\nname"; expected one of: date, party_size');
    expect(list).toHaveLength(11);
    expect(list[10]).toBe('arguments: 11 more unknown arguments were left out');
  });

  it('does not let __proto__ reach the values or the prototype', () => {
    const args = JSON.parse('{"__proto__":{"polluted":true},"date":"x"}') as unknown;
    expect(problems(validateArguments(def, args))).toEqual(['__proto__: unknown argument __proto__; expected one of: date, party_size']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses something that is not an object', () => {
    expect(problems(validateArguments(def, [1]))).toEqual(['arguments: arguments must be an object, not an array']);
  });
});

describe('validateArguments: presence, types and defaults', () => {
  it('reports a missing required argument and treats null as missing', () => {
    const def = integration([{ name: 'date', required: true }]);
    expect(problems(validateArguments(def, {}))).toEqual(['date: date is required']);
    expect(problems(validateArguments(def, { date: null }))).toEqual(['date: date is required']);
  });

  it('applies defaults for missing optional arguments, as copies', () => {
    const def = integration([
      { name: 'party_size', type: ParameterType.PARAMETER_TYPE_INTEGER, defaultValue: 2 },
      { name: 'options', type: ParameterType.PARAMETER_TYPE_OBJECT, defaultValue: { window: 'am' } },
      { name: 'note' },
    ]);
    const check = validateArguments(def, { note: null });
    expect(check).toEqual({ ok: true, values: { party_size: 2, options: { window: 'am' } } });
    if (check.ok) expect(check.values['options']).not.toBe(def.parameters[1]?.defaultValue);
    expect(validateArguments(def, { party_size: 5 })).toEqual({ ok: true, values: { party_size: 5, options: { window: 'am' } } });
  });

  it.each([
    [ParameterType.PARAMETER_TYPE_STRING, 42, 'v must be a string'],
    [ParameterType.PARAMETER_TYPE_UNSPECIFIED, 42, 'v must be a string'],
    [ParameterType.PARAMETER_TYPE_NUMBER, '4', 'v must be a number'],
    [ParameterType.PARAMETER_TYPE_INTEGER, 1.5, 'v must be a whole number'],
    [ParameterType.PARAMETER_TYPE_INTEGER, 2 ** 53, 'v must be a whole number between -9007199254740991 and 9007199254740991'],
    [ParameterType.PARAMETER_TYPE_BOOLEAN, 'yes', 'v must be true or false'],
    [ParameterType.PARAMETER_TYPE_ARRAY, { a: 1 }, 'v must be a list'],
    [ParameterType.PARAMETER_TYPE_OBJECT, [1], 'v must be an object'],
  ])('type %s refuses %j', (type, value, message) => {
    expect(problems(validateArguments(integration([{ name: 'v', type }]), { v: value }))).toEqual([`v: ${message}`]);
  });

  it.each([
    [ParameterType.PARAMETER_TYPE_STRING, 'text'],
    [ParameterType.PARAMETER_TYPE_NUMBER, 4.5],
    [ParameterType.PARAMETER_TYPE_INTEGER, -(2 ** 53 - 1)],
    [ParameterType.PARAMETER_TYPE_BOOLEAN, false],
    [ParameterType.PARAMETER_TYPE_ARRAY, [1, 'a']],
    [ParameterType.PARAMETER_TYPE_OBJECT, { a: [1] }],
  ])('type %s accepts %j', (type, value) => {
    expect(validateArguments(integration([{ name: 'v', type }]), { v: value })).toEqual({ ok: true, values: { v: value } });
  });

  it('reports every problem, one per field', () => {
    const def = integration([
      { name: 'date', required: true, format: StringFormat.STRING_FORMAT_DATE },
      { name: 'party_size', type: ParameterType.PARAMETER_TYPE_INTEGER, minimum: 1, maximum: 12 },
    ]);
    expect(problems(validateArguments(def, { date: 'tomorrow', party_size: 40, extra: 1 }))).toEqual([
      'date: date must be a date in the form YYYY-MM-DD',
      'party_size: party_size must be at most 12',
      'extra: unknown argument extra; expected one of: date, party_size',
    ]);
  });
});

describe('validateArguments: constraints', () => {
  it('checks enums', () => {
    const def = integration([{ name: 'kind', enumValues: ['cleaning', 'checkup'] }]);
    expect(problems(validateArguments(def, { kind: 'surgery' }))).toEqual(['kind: kind must be one of: cleaning, checkup']);
    expect(validateArguments(def, { kind: 'checkup' }).ok).toBe(true);
    const numbers = integration([{ name: 'n', type: ParameterType.PARAMETER_TYPE_INTEGER, enumValues: [1, 2] }]);
    expect(problems(validateArguments(numbers, { n: 3 }))).toEqual(['n: n must be one of: 1, 2']);
  });

  it('checks minimum and maximum', () => {
    const def = integration([{ name: 'party_size', type: ParameterType.PARAMETER_TYPE_NUMBER, minimum: 1, maximum: 12 }]);
    expect(problems(validateArguments(def, { party_size: 0.5 }))).toEqual(['party_size: party_size must be at least 1']);
    expect(problems(validateArguments(def, { party_size: 13 }))).toEqual(['party_size: party_size must be at most 12']);
    expect(validateArguments(def, { party_size: 12 }).ok).toBe(true);
  });

  it('checks string length in characters, not UTF-16 units', () => {
    const def = integration([{ name: 'code', minLength: 2, maxLength: 3 }]);
    expect(problems(validateArguments(def, { code: 'a' }))).toEqual(['code: code must be at least 2 characters long']);
    expect(problems(validateArguments(def, { code: 'abcd' }))).toEqual(['code: code must be at most 3 characters long']);
    expect(validateArguments(def, { code: '😀😀😀' }).ok).toBe(true);
  });

  it('checks the number of items of a list', () => {
    const def = integration([{ name: 'tags', type: ParameterType.PARAMETER_TYPE_ARRAY, minLength: 1, maxLength: 2 }]);
    expect(problems(validateArguments(def, { tags: [] }))).toEqual(['tags: tags must have at least 1 items']);
    expect(problems(validateArguments(def, { tags: [1, 2, 3] }))).toEqual(['tags: tags must have at most 2 items']);
  });

  it('checks patterns, compiled once per integration', () => {
    const def = integration([{ name: 'member_id', pattern: '^M\\d{4}$' }]);
    expect(problems(validateArguments(def, { member_id: 'X12' }))).toEqual(['member_id: member_id must match the pattern ^M\\d{4}$']);
    expect(validateArguments(def, { member_id: 'M1234' }).ok).toBe(true);
    // Changing the loaded definition in place does not change the compiled check: it is cached by object.
    (def.parameters[0] as Parameter).pattern = '^X';
    expect(validateArguments(def, { member_id: 'M1234' }).ok).toBe(true);
  });

  it('refuses values when the definition pattern is broken instead of skipping the check', () => {
    const def = integration([{ name: 'v', pattern: '([' }]);
    expect(problems(validateArguments(def, { v: 'x' }))).toEqual([
      "v: v cannot be checked because the integration's pattern is not a valid regular expression",
    ]);
  });
});

describe('validateArguments: formats', () => {
  const cases: [StringFormat, string[], string[], string][] = [
    [
      StringFormat.STRING_FORMAT_DATE,
      ['2025-03-14', '2024-02-29', '2000-02-29'],
      ['14/03/2025', '2025-3-14', '2025-03-14T10:00:00Z', ''],
      'd must be a date in the form YYYY-MM-DD',
    ],
    [
      StringFormat.STRING_FORMAT_DATE_TIME,
      ['2025-03-14T09:30:00Z', '2025-03-14t09:30:00.123+01:00', '2025-03-14 09:30:00-05:00'],
      ['2025-03-14T09:30:00', '2025-03-14T24:00:00Z', '2025-02-30T09:30:00Z', '2025-03-14T09:30Z'],
      'd must be a date and time in the form YYYY-MM-DDTHH:MM:SS with a time zone, such as 2025-03-14T09:30:00Z',
    ],
    [
      StringFormat.STRING_FORMAT_TIME,
      ['09:30', '23:59:59', '00:00'],
      ['9:30', '24:00', '09:60', '09:30:00Z', 'half past nine'],
      'd must be a time in the form HH:MM or HH:MM:SS (24-hour clock)',
    ],
    [
      StringFormat.STRING_FORMAT_EMAIL,
      ['ann@example.com', 'a.b+c@sub.example.co.uk'],
      // JSON Schema's `email` is ASCII (RFC 5321); see string-format.ts.
      ['ann', 'ann@example', 'ann @example.com', '.ann@example.com', 'a@b@example.com', 'jörg@bücher.de'],
      'd must be an email address such as name@example.com',
    ],
    [
      StringFormat.STRING_FORMAT_PHONE_E164,
      ['+14155550123', '+442071838750', '+12'],
      ['4155550123', '+04155550123', '+1 415 555 0123', '+1234567890123456'],
      'd must be a phone number in international E.164 form, such as +14155550123',
    ],
    [
      StringFormat.STRING_FORMAT_UUID,
      ['123e4567-e89b-12d3-a456-426614174000', 'A987FBC9-4BED-3078-CF07-9141BA07C9F3'],
      ['123e4567e89b12d3a456426614174000', '123e4567-e89b-12d3-a456-42661417400g'],
      'd must be a UUID such as 123e4567-e89b-12d3-a456-426614174000',
    ],
  ];

  it.each(cases)('format %s', (format, good, bad, message) => {
    const def = integration([{ name: 'd', format }]);
    for (const value of good) expect(validateArguments(def, { d: value }), value).toEqual({ ok: true, values: { d: value } });
    for (const value of bad) expect(problems(validateArguments(def, { d: value })), value).toEqual([`d: ${message}`]);
  });

  it('refuses dates that are not in the calendar with their own message', () => {
    const def = integration([{ name: 'date', format: StringFormat.STRING_FORMAT_DATE }]);
    for (const value of ['2025-02-29', '1900-02-29', '2025-04-31', '2025-13-01', '2025-00-10', '2025-01-00']) {
      expect(problems(validateArguments(def, { date: value })), value).toEqual([
        'date: date must be a real calendar date in the form YYYY-MM-DD',
      ]);
    }
  });
});

describe('validateArguments: hostile input', () => {
  const def = integration([
    { name: 'date', required: true, format: StringFormat.STRING_FORMAT_DATE },
    { name: 'party_size', type: ParameterType.PARAMETER_TYPE_INTEGER, minimum: 1, maximum: 12 },
    { name: 'code', maxLength: 4, pattern: '^[A-Z]+$', enumValues: ['ABC', 'XYZ'] },
    { name: 'email', format: StringFormat.STRING_FORMAT_EMAIL },
  ]);

  it('never throws and never puts an argument value in a message', () => {
    const marker = 'Zq7secretQ';
    const value = fc.oneof(
      fc.string().map((s) => marker + s),
      fc.jsonValue().map((v) => [marker, v]),
      fc.integer(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('date', 'party_size', 'code', 'email', 'other', '__proto__', 'constructor'), value), (args) => {
        const check = validateArguments(def, args);
        if (!check.ok) for (const p of check.problems) expect(`${p.field} ${p.message}`).not.toContain(marker);
      }),
      { numRuns: 500 },
    );
  });
});

describe('validateArguments: patterns run in linear time', () => {
  it('answers ^(a+)+$ at once: a 29-character argument no longer blocks the event loop', () => {
    // With JavaScript's backtracking engine this took about 2 s for 29 characters, doubling with each one more.
    const def = integration([{ name: 'v', pattern: '^(a+)+$' }]);
    for (const value of [`${'a'.repeat(29)}!`, `${'a'.repeat(10_240)}!`]) {
      const started = performance.now();
      expect(problems(validateArguments(def, { v: value }))).toEqual(['v: v must match the pattern ^(a+)+$']);
      expect(performance.now() - started).toBeLessThan(250);
    }
  });
});

describe('hostile arguments get a typed answer, never INTERNAL', () => {
  const def = integration(
    [
      { name: 'patient_id', location: ParameterLocation.PARAMETER_LOCATION_PATH, required: true, pattern: '^(p+)+-\\d+$' },
      { name: 'date', location: ParameterLocation.PARAMETER_LOCATION_QUERY, format: StringFormat.STRING_FORMAT_DATE },
      { name: 'tag', location: ParameterLocation.PARAMETER_LOCATION_HEADER, wireName: 'x-tag' },
      { name: 'n', location: ParameterLocation.PARAMETER_LOCATION_QUERY, type: ParameterType.PARAMETER_TYPE_INTEGER, enumValues: [1, 2] },
      { name: 'tags', location: ParameterLocation.PARAMETER_LOCATION_QUERY, type: ParameterType.PARAMETER_TYPE_ARRAY },
      { name: 'note', location: ParameterLocation.PARAMETER_LOCATION_BODY, type: ParameterType.PARAMETER_TYPE_OBJECT, wireName: 'visit.note' },
    ],
    { urlTemplate: 'https://pms.example.com/patients/{patient_id}/visits', method: HttpMethod.HTTP_METHOD_POST },
  );

  /** What the invoke path does with the model's text up to the request and the audit event. */
  function throughTheExecutor(json: string): void {
    const check = validateArguments(def, parseArgumentsJson(json));
    if (!check.ok) return;
    JSON.stringify(check.values);
    buildRequest(def, resolvePlacedValues(def, check.values, { orgId: 'org_a', callId: 'call-1' }), { requestId: 'r-1' });
  }

  function reasonOf(json: string): string | undefined {
    try {
      throughTheExecutor(json);
      return undefined;
    } catch (err) {
      return err instanceof SwitchboardError ? err.reason : `untyped ${String(err)}`;
    }
  }

  it('refuses arguments nested 10,000 deep before anything walks them', () => {
    for (const json of [`{"note":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, `{"note":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`]) {
      const err = thrown(() => parseArgumentsJson(json));
      expect([err.reason, err.message]).toEqual(['INVALID_ARGUMENTS', 'arguments are nested more than 32 levels deep']);
    }
    expect(reasonOf(`{"patient_id":"p-1","tags":${'['.repeat(32)}${']'.repeat(32)}}`)).toBe('INVALID_ARGUMENTS');
    expect(reasonOf(`{"patient_id":"p-1","tags":${'['.repeat(30)}${']'.repeat(30)}}`)).toBeUndefined();
  });

  it('answers any JSON text with success or INVALID_ARGUMENTS', () => {
    const nested = fc.integer({ min: 0, max: 12_000 }).map((depth) => `{"note":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('p-1', 'pp-12', `${'p'.repeat(30)}!`, '..', '.', 'a\r\nX-Injected: 1', '\uD800', '2025-02-30', 2 ** 60, -0, 1e308),
    );
    const args = fc.dictionary(fc.constantFrom('patient_id', 'date', 'tag', 'n', 'tags', 'note', '__proto__', 'x'), value);
    const text = fc.oneof(args.map((a) => JSON.stringify(a)), nested, fc.string({ unit: 'binary', maxLength: 64 }));
    fc.assert(
      fc.property(text, (json) => {
        const reason = reasonOf(json);
        if (reason !== undefined) expect(reason).toBe('INVALID_ARGUMENTS');
      }),
      { numRuns: 1500 },
    );
  });
});

describe('resolvePlacedValues', () => {
  const def = integration(
    [
      { name: 'patient_id', location: ParameterLocation.PARAMETER_LOCATION_PATH },
      { name: 'date', location: ParameterLocation.PARAMETER_LOCATION_QUERY, wireName: 'visit_date' },
      { name: 'ssn', location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'patient.ssn', sensitive: true },
      { name: 'clinic', location: ParameterLocation.PARAMETER_LOCATION_QUERY, wireName: 'clinic_id' },
    ],
    {
      fixedValues: [
        { name: 'clinic_id', location: ParameterLocation.PARAMETER_LOCATION_QUERY, value: 'c-1' },
        { name: 'x-source', location: ParameterLocation.PARAMETER_LOCATION_HEADER, value: 'switchboard' },
      ],
      contextValues: [
        { name: 'call_id', location: ParameterLocation.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALL_ID },
        { name: 'from', location: ParameterLocation.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER },
        { name: 'to', location: ParameterLocation.PARAMETER_LOCATION_BODY, source: ContextField.CONTEXT_FIELD_CALLED_NUMBER },
        { name: 'x-org', location: ParameterLocation.PARAMETER_LOCATION_HEADER, source: ContextField.CONTEXT_FIELD_ORG_ID },
        { name: 'tz', location: ParameterLocation.PARAMETER_LOCATION_QUERY, source: ContextField.CONTEXT_FIELD_ORG_TIME_ZONE },
      ],
    },
  );

  it('places parameters by wire name, then fixed and known context values', () => {
    const placed = resolvePlacedValues(
      def,
      { patient_id: 'p1', date: '2025-03-14', ssn: '078-05-1120' },
      { callId: 'call-1', callerNumber: '+15550001111', orgId: 'org_a', orgTimeZone: 'Europe/Paris' },
    );
    expect(placed).toEqual([
      { location: ParameterLocation.PARAMETER_LOCATION_PATH, wireName: 'patient_id', field: 'patient_id', value: 'p1', sensitive: false },
      { location: ParameterLocation.PARAMETER_LOCATION_QUERY, wireName: 'visit_date', field: 'date', value: '2025-03-14', sensitive: false },
      { location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'patient.ssn', field: 'ssn', value: '078-05-1120', sensitive: true },
      { location: ParameterLocation.PARAMETER_LOCATION_QUERY, wireName: 'clinic_id', field: 'clinic_id', value: 'c-1', sensitive: false },
      { location: ParameterLocation.PARAMETER_LOCATION_HEADER, wireName: 'x-source', field: 'x-source', value: 'switchboard', sensitive: false },
      { location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'call_id', field: 'call_id', value: 'call-1', sensitive: false },
      { location: ParameterLocation.PARAMETER_LOCATION_BODY, wireName: 'from', field: 'from', value: '+15550001111', sensitive: true },
      { location: ParameterLocation.PARAMETER_LOCATION_HEADER, wireName: 'x-org', field: 'x-org', value: 'org_a', sensitive: false },
      { location: ParameterLocation.PARAMETER_LOCATION_QUERY, wireName: 'tz', field: 'tz', value: 'Europe/Paris', sensitive: false },
    ]);
  });

  it('omits unknown or empty context values', () => {
    const placed = resolvePlacedValues(def, {}, { callId: '', orgId: 'org_a' });
    expect(placed.map((p) => p.wireName)).toEqual(['clinic_id', 'x-source', 'x-org']);
  });

  it('lets a fixed value replace a parameter with the same location and wire name', () => {
    const placed = resolvePlacedValues(def, { clinic: 'c-666' }, { orgId: 'org_a' });
    expect(placed.filter((p) => p.wireName === 'clinic_id')).toEqual([
      { location: ParameterLocation.PARAMETER_LOCATION_QUERY, wireName: 'clinic_id', field: 'clinic_id', value: 'c-1', sensitive: false },
    ]);
  });
});
