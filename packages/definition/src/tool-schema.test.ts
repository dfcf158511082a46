import { BurdenLevel, ContextField, HttpMethod, Integration, ParameterLocation, ParameterType, StringFormat, ToolFormat } from '@switchboard/contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { burdenInstruction, exportTools, parametersJsonSchema, toolExportFormatOf } from './tool-schema.js';
import { anthropicToolProblems, openAiToolProblems } from './tool-format-rules.js';
import { validateIntegration } from './validate-integration.js';

const { PARAMETER_LOCATION_PATH: PATH, PARAMETER_LOCATION_QUERY: QUERY, PARAMETER_LOCATION_BODY: BODY } = ParameterLocation;
const T = ParameterType;

function ajv(): Ajv2020 {
  const a = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(a);
  return a;
}

function booking(overrides: Partial<Integration> = {}): Integration {
  return Integration.fromPartial({
    key: 'book_visit',
    name: 'Book visit',
    description: 'Books a visit.',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: 'https://api.example.com/clinics/{clinic_id}/patients/{patient_id}/visits',
    parameters: [
      { name: 'patient_id', type: T.PARAMETER_TYPE_STRING, location: PATH, required: true, pattern: '^p[0-9]+$', description: 'Patient id.' },
      { name: 'date', type: T.PARAMETER_TYPE_STRING, location: BODY, required: true, format: StringFormat.STRING_FORMAT_DATE },
      { name: 'start', type: T.PARAMETER_TYPE_STRING, location: BODY, format: StringFormat.STRING_FORMAT_DATE_TIME },
      { name: 'at', type: T.PARAMETER_TYPE_STRING, location: BODY, format: StringFormat.STRING_FORMAT_TIME },
      { name: 'email', type: T.PARAMETER_TYPE_STRING, location: BODY, format: StringFormat.STRING_FORMAT_EMAIL },
      { name: 'ref', type: T.PARAMETER_TYPE_STRING, location: BODY, format: StringFormat.STRING_FORMAT_UUID },
      { name: 'phone', type: T.PARAMETER_TYPE_STRING, location: BODY, format: StringFormat.STRING_FORMAT_PHONE_E164, description: 'Callback number.' },
      { name: 'kind', type: T.PARAMETER_TYPE_STRING, location: BODY, enumValues: ['cleaning', 'checkup'], defaultValue: 'checkup' },
      { name: 'minutes', type: T.PARAMETER_TYPE_INTEGER, location: BODY, minimum: 15, maximum: 120 },
      { name: 'price', type: T.PARAMETER_TYPE_NUMBER, location: BODY },
      { name: 'notes', type: T.PARAMETER_TYPE_STRING, location: BODY, minLength: 2, maxLength: 10 },
      { name: 'tags', type: T.PARAMETER_TYPE_ARRAY, location: BODY, maxLength: 2 },
      { name: 'urgent', type: T.PARAMETER_TYPE_BOOLEAN, location: QUERY },
      { name: 'extra', type: T.PARAMETER_TYPE_OBJECT, location: BODY },
    ],
    fixedValues: [{ name: 'clinic_id', location: PATH, value: '12' }],
    contextValues: [{ name: 'caller', location: BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
    burden: { level: BurdenLevel.BURDEN_LEVEL_CONFIRMED },
    ...overrides,
  });
}

describe('parametersJsonSchema', () => {
  const schema = parametersJsonSchema(booking());
  const validate = ajv().compile(schema);

  it('describes a definition that validation accepts', () => {
    expect(validateIntegration(booking())).toEqual([]);
  });

  it('is a draft 2020-12 schema that ajv compiles in strict mode', () => {
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(schema['required']).toEqual(['patient_id', 'date']);
  });

  it('leaves fixed and call-context values out, so the model cannot see or supply them', () => {
    const properties = schema['properties'] as Record<string, unknown>;
    expect(Object.keys(properties)).not.toContain('clinic_id');
    expect(Object.keys(properties)).not.toContain('caller');
    expect(validate({ patient_id: 'p1', date: '2025-03-03', clinic_id: '13' })).toBe(false);
    expect(validate({ patient_id: 'p1', date: '2025-03-03', caller: '+15550000000' })).toBe(false);
  });

  it('accepts arguments that meet every constraint', () => {
    const args = {
      patient_id: 'p42',
      date: '2025-03-03',
      start: '2025-03-03T14:00:00-05:00',
      at: '14:00:00',
      email: 'ada@example.com',
      ref: '9b2f0c1e-4c1a-4a57-9a53-3b1f0c1e4c1a',
      phone: '+14155550123',
      kind: 'cleaning',
      minutes: 30,
      price: 12.5,
      notes: 'hello',
      tags: ['a', 'b'],
      urgent: true,
      extra: { any: 'thing' },
    };
    expect(validate(args), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a missing required argument', { patient_id: 'p1' }],
    ['a path value outside the pattern', { patient_id: '../admin', date: '2025-03-03' }],
    ['an impossible date', { patient_id: 'p1', date: '2025-02-30' }],
    ['a date-time without an offset', { patient_id: 'p1', date: '2025-03-03', start: '2025-03-03T14:00:00' }],
    ['a bad email', { patient_id: 'p1', date: '2025-03-03', email: 'not-an-email' }],
    ['a bad uuid', { patient_id: 'p1', date: '2025-03-03', ref: '1234' }],
    ['a local phone number', { patient_id: 'p1', date: '2025-03-03', phone: '(415) 555-0123' }],
    ['a value outside the enum', { patient_id: 'p1', date: '2025-03-03', kind: 'whitening' }],
    ['a fractional integer', { patient_id: 'p1', date: '2025-03-03', minutes: 30.5 }],
    ['a number above the maximum', { patient_id: 'p1', date: '2025-03-03', minutes: 500 }],
    ['a string that is too long', { patient_id: 'p1', date: '2025-03-03', notes: 'x'.repeat(11) }],
    ['an array with too many items', { patient_id: 'p1', date: '2025-03-03', tags: [1, 2, 3] }],
    ['a string for a boolean', { patient_id: 'p1', date: '2025-03-03', urgent: 'yes' }],
    ['an argument that is not a parameter', { patient_id: 'p1', date: '2025-03-03', admin: true }],
  ])('rejects %s', (_, args) => {
    expect(validate(args)).toBe(false);
  });

  it('lists required parameters as written, as the executor checks them', () => {
    const i = booking();
    i.parameters[1]!.defaultValue = '2025-01-01';
    expect(parametersJsonSchema(i)['required']).toEqual(['patient_id', 'date']);
  });

  it('writes time as a local HH:MM pattern, since JSON Schema time needs an offset', () => {
    const properties = schema['properties'] as Record<string, Record<string, unknown>>;
    expect(properties['at']).not.toHaveProperty('format');
    expect(validate({ patient_id: 'p1', date: '2025-03-03', at: '09:30' })).toBe(true);
    expect(validate({ patient_id: 'p1', date: '2025-03-03', at: '9:30 am' })).toBe(false);
    expect(validate({ patient_id: 'p1', date: '2025-03-03', at: '24:00' })).toBe(false);
  });

  it('keeps both the phone pattern and the integrator pattern', () => {
    const i = booking();
    i.parameters[6]!.pattern = '^\\+1';
    const v = ajv().compile(parametersJsonSchema(i));
    expect(v({ patient_id: 'p1', date: '2025-03-03', phone: '+14155550123' })).toBe(true);
    expect(v({ patient_id: 'p1', date: '2025-03-03', phone: '+442071234567' })).toBe(false);
    expect(v({ patient_id: 'p1', date: '2025-03-03', phone: '+1 415' })).toBe(false);
  });

  it('tells the model the phone and date-time layouts in the description', () => {
    const properties = schema['properties'] as Record<string, { description?: string }>;
    expect(properties['phone']?.description).toBe('Callback number. Phone number in E.164 format, e.g. +14155550123.');
    expect(properties['start']?.description).toMatch(/offset/);
  });

  it('omits required when nothing is required', () => {
    const i = booking({ parameters: [] });
    expect(parametersJsonSchema(i)).toEqual({ type: 'object', properties: {}, additionalProperties: false });
  });
});

describe('burdenInstruction', () => {
  it('gives each level the sentence that matches the gate', () => {
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_AMBIENT)).toBe('Use silently; do not mention the lookup to the caller.');
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL)).toBe('You may tell the caller you are checking.');
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_UNSPECIFIED)).toBe('You may tell the caller you are checking.');
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_REQUESTED)).toMatch(/^Use only when the caller explicitly asks for this/);
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_CONFIRMED)).toMatch(/confirm.*exactly the same arguments/s);
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_VERIFIED)).toBe("Use only after the caller's identity has been verified.");
    expect(burdenInstruction(BurdenLevel.BURDEN_LEVEL_VERIFIED, ['otp'])).toMatch(/Accepted verification: otp\.$/);
  });

  it('refuses an unknown level rather than guessing a permissive one', () => {
    expect(() => burdenInstruction(BurdenLevel.UNRECOGNIZED)).toThrow(/unknown burden level/);
  });
});

describe('exportTools', () => {
  const lookup = booking({
    key: 'appointment_lookup',
    description: 'Finds appointments.',
    method: HttpMethod.HTTP_METHOD_GET,
    urlTemplate: 'https://api.example.com/clinics/{clinic_id}/patients/{patient_id}/visits',
    parameters: [{ name: 'patient_id', type: T.PARAMETER_TYPE_STRING, location: PATH, required: true } as Integration['parameters'][number]],
    contextValues: [],
    burden: { level: BurdenLevel.BURDEN_LEVEL_AMBIENT, fillerPhrase: '', confirmationPrompt: '', acceptedVerificationMethods: [] },
  });
  const disabled = booking({ key: 'old_tool', enabled: false });
  const all = [booking(), lookup, disabled];

  it('exports only enabled integrations, sorted by key, with the instruction folded into the description', () => {
    const { tools } = exportTools(all, 'openai');
    expect(tools.map((t) => t.name)).toEqual(['appointment_lookup', 'book_visit']);
    expect(tools[0]?.description).toBe('Finds appointments.\n\nUse silently; do not mention the lookup to the caller.');
    expect(tools[1]?.description).toMatch(/^Books a visit\.\n\nThe caller must confirm/);
  });

  it('writes the OpenAI, Anthropic and MCP shapes around the same schemas', () => {
    const openai = exportTools(all, 'openai');
    expect(openai.document).toEqual(
      openai.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
    );
    const anthropic = exportTools(all, 'anthropic');
    expect(anthropic.document).toEqual(anthropic.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema })));
    const mcp = exportTools(all, 'mcp');
    expect(mcp.document).toMatchObject({ tools: mcp.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })) });
  });

  it('gives MCP tools a title, annotations from the method, the gate in _meta and an output schema only with mapped fields', () => {
    const remove = booking({ key: 'cancel_visit', name: 'Cancel visit', method: HttpMethod.HTTP_METHOD_DELETE, burden: { level: BurdenLevel.BURDEN_LEVEL_VERIFIED, acceptedVerificationMethods: ['otp'], fillerPhrase: '', confirmationPrompt: '' } });
    const mapped = booking({ responseMapping: { fields: [{ name: 'slot', expression: 'next.slot' }, { name: 'who', expression: 'provider' }], summaryTemplate: '', maxResultBytes: 0, exports: {}, sensitiveExports: [] } });
    const { tools } = exportTools([mapped, lookup, remove], 'mcp').document as { tools: Record<string, unknown>[] };
    const [read, book, cancel] = [tools.find((t) => t['name'] === 'appointment_lookup')!, tools.find((t) => t['name'] === 'book_visit')!, tools.find((t) => t['name'] === 'cancel_visit')!];
    expect(read).toMatchObject({ title: 'Book visit', annotations: { readOnlyHint: true, openWorldHint: true }, _meta: { 'switchboard/burden': { level: 'ambient' } } });
    expect(read['annotations']).not.toHaveProperty('destructiveHint');
    expect(read).not.toHaveProperty('outputSchema');
    expect(book).toMatchObject({ annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false }, _meta: { 'switchboard/burden': { level: 'confirmed' } } });
    expect(cancel).toMatchObject({ title: 'Cancel visit', annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true }, _meta: { 'switchboard/burden': { level: 'verified', verificationMethods: ['otp'] } } });
    const output = book['outputSchema'] as Record<string, unknown>;
    expect(output).toEqual({
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok', 'accepted', 'confirmation_required', 'verification_required', 'declined', 'failed'] }, result: { type: 'object', properties: { slot: {}, who: {} } } },
      required: ['status'],
    });
    const validate = ajv().compile(output);
    expect(validate({ status: 'ok', result: { slot: '09:30', who: null } })).toBe(true);
    expect(validate({ status: 'confirmation_required', prompt: 'Book it?' })).toBe(true);
    expect(validate({ status: 'done' })).toBe(false);
  });

  it('exports schemas that all compile as JSON Schema and survive a JSON round trip', () => {
    const a = ajv();
    for (const tool of exportTools(all, 'mcp').tools) {
      const copy = JSON.parse(JSON.stringify(tool.inputSchema)) as Record<string, unknown>;
      expect(copy).toEqual(tool.inputSchema);
      expect(() => a.compile(copy)).not.toThrow();
    }
  });

  it('maps the proto tool format, OpenAI by default', () => {
    expect(toolExportFormatOf(ToolFormat.TOOL_FORMAT_UNSPECIFIED)).toBe('openai');
    expect(toolExportFormatOf(ToolFormat.TOOL_FORMAT_ANTHROPIC)).toBe('anthropic');
    expect(toolExportFormatOf(ToolFormat.TOOL_FORMAT_MCP)).toBe('mcp');
  });
});

describe('exportTools: OpenAI strict mode', () => {
  const order = Integration.fromPartial({
    key: 'create_order',
    name: 'Create order',
    description: 'Creates an order.',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: 'https://api.example.com/orders',
    parameters: [
      { name: 'lines', type: T.PARAMETER_TYPE_ARRAY, location: BODY, required: true, minLength: 1, items: { type: T.PARAMETER_TYPE_OBJECT, properties: [{ name: 'sku', type: T.PARAMETER_TYPE_STRING, required: true, maxLength: 12 }, { name: 'qty', type: T.PARAMETER_TYPE_INTEGER }] } },
      { name: 'kind', type: T.PARAMETER_TYPE_STRING, location: BODY, enumValues: ['a', 'b'], defaultValue: 'a' },
      { name: 'phone', type: T.PARAMETER_TYPE_STRING, location: BODY, format: StringFormat.STRING_FORMAT_PHONE_E164, pattern: '^\\+1' },
    ],
  });

  it('makes every property required, optional ones nullable, objects closed, and keeps only supported keywords', () => {
    const exported = exportTools([order], 'openai', { strict: true });
    expect(openAiToolProblems(exported.document)).toEqual([]);
    const fn = (exported.document as { function: { strict: boolean; parameters: Record<string, unknown> } }[])[0]?.function;
    expect(fn?.strict).toBe(true);
    expect(fn?.parameters).toEqual({
      type: 'object',
      properties: {
        lines: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            properties: { sku: { type: 'string', description: 'At most 12 characters.' }, qty: { type: ['integer', 'null'] } },
            required: ['sku', 'qty'],
            additionalProperties: false,
          },
        },
        kind: { type: ['string', 'null'], enum: ['a', 'b', null], description: 'If not needed, "a" is used.' },
        phone: { type: ['string', 'null'], description: 'Phone number in E.164 format, e.g. +14155550123. Must also match ^\\+[1-9]\\d{1,14}$.', pattern: '^\\+1' },
      },
      required: ['lines', 'kind', 'phone'],
      additionalProperties: false,
    });
    expect(ajv().validateSchema(fn?.parameters ?? {})).toBe(true);
  });

  it('sends a tool that has no strict form (a free-form object) with strict: false, and says why', () => {
    const free = Integration.fromPartial({ ...order, key: 'free', parameters: [{ name: 'extra', type: T.PARAMETER_TYPE_OBJECT, location: BODY }] });
    const exported = exportTools([free, order], 'openai', { strict: true });
    expect(exported.tools.map((t) => [t.name, t.strict])).toEqual([
      ['create_order', { ok: true }],
      ['free', { ok: false, why: 'arguments.extra is an object without declared properties' }],
    ]);
    expect(openAiToolProblems(exported.document)).toEqual([]);
  });

  it('the rules catch what strict mode refuses', () => {
    const loose = exportTools([order], 'openai');
    const forced = (loose.document as { function: Record<string, unknown> }[]).map((t) => ({ ...t, function: { ...t.function, strict: true } }));
    expect(openAiToolProblems(forced)).toEqual(
      expect.arrayContaining(['create_order: every property must be required (not kind, phone)', 'create_order.lines[].sku: maxLength is not supported in strict mode']),
    );
    expect(anthropicToolProblems([{ name: 'a b', input_schema: { type: 'object', properties: { x: { type: 'array' } } } }])).toEqual([
      'a b: the name must match ^[a-zA-Z0-9_-]{1,64}$',
      'a b.x: an array without items',
    ]);
  });
});
