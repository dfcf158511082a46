/**
 * OpenAI's strict mode (Structured Outputs for function calling) accepts a subset of JSON Schema:
 * every object lists all its properties in `required` and sets `additionalProperties: false`; an
 * optional property is written as nullable (`["string", "null"]`); only these keywords are read.
 * https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
 */
const STRICT_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'description',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);
/** The string formats strict mode reads. */
const STRICT_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
/** Strict mode's own limits: nesting depth and enum size. */
export const OPENAI_STRICT_MAX_DEPTH = 10;
export const OPENAI_STRICT_MAX_ENUM_VALUES = 1000;

export type StrictResult = { readonly ok: true; readonly schema: Record<string, unknown> } | { readonly ok: false; readonly why: string };

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a dropped keyword said, kept for the model in the description: "At most 40 characters." */
function keywordSentence(key: string, value: unknown): string | undefined {
  switch (key) {
    case 'minLength':
      return `At least ${String(value)} characters.`;
    case 'maxLength':
      return `At most ${String(value)} characters.`;
    case 'default':
      return `If not needed, ${JSON.stringify(value)} is used.`;
    default:
      return undefined;
  }
}

function nullable(schema: Schema): Schema {
  const type = schema['type'];
  const out: Schema = { ...schema, type: Array.isArray(type) ? [...new Set([...(type as unknown[]), 'null'])] : [type, 'null'] };
  if (Array.isArray(schema['enum'])) out['enum'] = [...(schema['enum'] as unknown[]), null];
  return out;
}

function convert(schema: Schema, at: string, depth: number): StrictResult {
  if (depth > OPENAI_STRICT_MAX_DEPTH) return { ok: false, why: `${at} nests deeper than ${OPENAI_STRICT_MAX_DEPTH} levels` };
  if (typeof schema['type'] !== 'string') return { ok: false, why: `${at} has no single type` };
  const out: Schema = {};
  const sentences: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'allOf' && Array.isArray(value)) {
      // A second pattern (a format's plus the integrator's own): said in words.
      for (const part of value) if (isSchema(part) && typeof part['pattern'] === 'string') sentences.push(`Must also match ${part['pattern']}.`);
      continue;
    }
    if (key === 'format' && typeof value === 'string' && !STRICT_FORMATS.has(value)) {
      sentences.push(`Format: ${value}.`);
      continue;
    }
    if (!STRICT_KEYWORDS.has(key)) {
      const sentence = keywordSentence(key, value);
      if (sentence !== undefined) sentences.push(sentence);
      continue;
    }
    out[key] = value;
  }
  if (Array.isArray(out['enum']) && out['enum'].length > OPENAI_STRICT_MAX_ENUM_VALUES) {
    return { ok: false, why: `${at} has more than ${OPENAI_STRICT_MAX_ENUM_VALUES} enum values` };
  }
  if (sentences.length > 0) out['description'] = [typeof out['description'] === 'string' ? out['description'] : '', ...sentences].filter((s) => s !== '').join(' ');
  if (out['type'] === 'array') {
    if (!isSchema(out['items'])) return { ok: false, why: `${at} is an array without a declared item type` };
    const items = convert(out['items'], `${at}[]`, depth + 1);
    if (!items.ok) return items;
    out['items'] = items.schema;
  }
  if (out['type'] === 'object') {
    const properties = isSchema(out['properties']) ? out['properties'] : {};
    // A tool without arguments is the one object that may have no properties.
    if (Object.keys(properties).length === 0 && depth > 1) return { ok: false, why: `${at} is an object without declared properties` };
    const required = new Set(Array.isArray(out['required']) ? (out['required'] as unknown[]) : []);
    const converted: Schema = {};
    for (const [name, child] of Object.entries(properties)) {
      if (!isSchema(child)) return { ok: false, why: `${at}.${name} has no schema` };
      const result = convert(child, `${at}.${name}`, depth + 1);
      if (!result.ok) return result;
      converted[name] = required.has(name) ? result.schema : nullable(result.schema);
    }
    out['properties'] = converted;
    out['required'] = Object.keys(converted);
    out['additionalProperties'] = false;
  }
  return { ok: true, schema: out };
}

/**
 * A tool's parameters schema in OpenAI strict form, or why it cannot be one (a free-form object or
 * an array of anything has no strict form: such a tool is sent with `strict: false`). The model
 * writes null for an optional argument it does not use.
 */
export function openAiStrictSchema(schema: Record<string, unknown>): StrictResult {
  return convert(schema, 'arguments', 1);
}
