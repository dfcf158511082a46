import { HttpMethod, Integration, Parameter, ParameterLocation, ParameterType, StringFormat } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { parseIntegrationDocuments, integrationToDocument } from './document.js';
import { MAX_PARAMETER_NESTING } from './limits.js';
import { validateIntegration } from './validate-integration.js';
import { stringify } from 'yaml';

const T = ParameterType;
/** A parameter as a test writes it, nested shapes included. */
interface Shape {
  name?: string;
  type?: ParameterType;
  required?: boolean;
  minimum?: number;
  format?: StringFormat;
  location?: ParameterLocation;
  wireName?: string;
  items?: Shape;
  properties?: Shape[];
}

function shape(s: Shape): Parameter {
  return Parameter.fromPartial({ ...s, items: s.items === undefined ? undefined : shape(s.items), properties: (s.properties ?? []).map(shape) });
}
const BODY = ParameterLocation.PARAMETER_LOCATION_BODY;

function order(lines: Shape): Integration {
  return Integration.fromPartial({
    key: 'create_order',
    name: 'Create order',
    description: 'Creates an order.',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: 'https://api.example.com/orders',
    parameters: [shape({ name: 'lines', type: T.PARAMETER_TYPE_ARRAY, location: BODY, required: true, ...lines })],
  });
}

const LINE: Shape = { type: T.PARAMETER_TYPE_OBJECT, properties: [{ name: 'sku', type: T.PARAMETER_TYPE_STRING, required: true }, { name: 'qty', type: T.PARAMETER_TYPE_INTEGER, minimum: 1 }] };

describe('parameter items and properties', () => {
  it('accepts an array of objects with properties, and reads and prints them in the document form', () => {
    const integration = order({ items: LINE });
    expect(validateIntegration(integration)).toEqual([]);
    const text = stringify(integrationToDocument(integration));
    expect(text).toContain('items:');
    const parsed = parseIntegrationDocuments(text, 'order.yaml');
    expect(parsed.problems).toEqual([]);
    expect(Integration.toJSON(parsed.integrations[0] as Integration)).toEqual(Integration.toJSON(integration));
  });

  it('checks nested shapes as it checks parameters, at their own field path', () => {
    const problems = validateIntegration(
      order({
        items: {
          type: T.PARAMETER_TYPE_OBJECT,
          properties: [
            { name: 'sku', type: T.PARAMETER_TYPE_STRING, minimum: 1 },
            { name: 'sku', type: T.PARAMETER_TYPE_STRING },
            { name: '', type: T.PARAMETER_TYPE_INTEGER, format: StringFormat.STRING_FORMAT_DATE },
            { name: 'where', type: T.PARAMETER_TYPE_STRING, location: BODY, wireName: 'x' },
          ],
        },
      }),
    );
    expect(problems.map((p) => p.field)).toEqual([
      'parameters[0].items.properties[0].minimum',
      'parameters[0].items.properties[2].format',
      'parameters[0].items.properties[3].location',
      'parameters[0].items.properties[3].wire_name',
      'parameters[0].items.properties[1].name',
      'parameters[0].items.properties[2].name',
    ]);
  });

  it('refuses items on a non-array, properties on a non-object, and nesting past the limit', () => {
    const wrong = Integration.fromPartial({
      ...order({}),
      parameters: [shape({ name: 'n', type: T.PARAMETER_TYPE_STRING, location: BODY, items: { type: T.PARAMETER_TYPE_STRING }, properties: [{ name: 'a', type: T.PARAMETER_TYPE_STRING }] })],
    });
    expect(validateIntegration(wrong).map((p) => p.field)).toEqual(['parameters[0].items', 'parameters[0].properties']);
    let deep: Shape = { type: T.PARAMETER_TYPE_STRING };
    for (let i = 0; i < MAX_PARAMETER_NESTING + 1; i += 1) deep = { type: T.PARAMETER_TYPE_ARRAY, items: deep };
    expect(validateIntegration(order(deep)).map((p) => p.message)).toContainEqual(`nests items and properties more than ${MAX_PARAMETER_NESTING} levels deep`);
  });
});
