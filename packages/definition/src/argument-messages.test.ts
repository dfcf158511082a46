import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { describeSchemaError, schemaErrorSubject } from './argument-messages.js';

/**
 * Parameters with nested schemas (`items`, object `properties`, issue 18) are checked by the same
 * ajv call; their problems must still name the field by path and say the rule in words.
 */
describe('argument messages for nested values', () => {
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false });
  const validate = ajv.compile({
    type: 'object',
    required: ['city'],
    additionalProperties: false,
    properties: {
      city: { type: 'string' },
      visits: { type: 'array', items: { type: 'object', properties: { date: { type: 'string', pattern: '^\\d{4}-' } } } },
    },
  });

  it('names each problem by its path inside the value', () => {
    expect(validate({ visits: [{ date: '2025-01-01' }, { date: 'soon' }], 'odd key': 1 })).toBe(false);
    const said = (validate.errors ?? []).map((e) => `${schemaErrorSubject(e)} ${describeSchemaError(e)}`);
    expect(said.sort()).toEqual(['.city is required', '.visits[1].date must match the pattern ^\\d{4}-', '["odd key"] is not a field this tool takes'].sort());
  });
});
