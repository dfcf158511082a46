import { OPENAI_STRICT_MAX_DEPTH, OPENAI_STRICT_MAX_ENUM_VALUES } from './openai-strict.js';

/**
 * The documented rules each model API applies to a tool list, as checks: what `exportTools` must
 * always satisfy. Sources: OpenAI function calling and Structured Outputs ("supported schemas"),
 * Anthropic tool use (`name` and `input_schema`), MCP 2025-06-18 (`Tool`).
 */
const JSON_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
const OPENAI_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ANTHROPIC_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MCP_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STRICT_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'description', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'anyOf',
  'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems',
]);
const STRICT_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
const OPENAI_STRICT_MAX_PROPERTIES = 5000;

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typesOf(schema: Schema): string[] {
  const t = schema['type'];
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : typeof t === 'string' ? [t] : [];
}

/** Every subschema with its path: properties, items, anyOf/allOf members. */
function walk(schema: Schema, at: string, depth: number, visit: (s: Schema, at: string, depth: number) => void): void {
  visit(schema, at, depth);
  if (isSchema(schema['properties'])) for (const [k, v] of Object.entries(schema['properties'])) if (isSchema(v)) walk(v, `${at}.${k}`, depth + 1, visit);
  if (isSchema(schema['items'])) walk(schema['items'], `${at}[]`, depth + 1, visit);
  for (const key of ['anyOf', 'allOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach((v, i) => isSchema(v) && walk(v, `${at}.${key}[${i}]`, depth, visit));
  }
}

/** Rules every format shares: an object at the top, known types, every array with items. */
function commonProblems(name: string, schema: unknown, problems: string[]): void {
  if (!isSchema(schema) || schema['type'] !== 'object') {
    problems.push(`${name}: the schema must be an object schema`);
    return;
  }
  walk(schema, name, 1, (s, at) => {
    for (const t of typesOf(s)) if (!JSON_TYPES.has(t)) problems.push(`${at}: type ${t} is not a JSON Schema type`);
    if (typesOf(s).includes('array') && !isSchema(s['items'])) problems.push(`${at}: an array without items`);
  });
}

function strictProblems(name: string, schema: Schema, problems: string[]): void {
  let properties = 0;
  let enums = 0;
  walk(schema, name, 1, (s, at, depth) => {
    if (depth > OPENAI_STRICT_MAX_DEPTH) problems.push(`${at}: nested deeper than ${OPENAI_STRICT_MAX_DEPTH}`);
    for (const key of Object.keys(s)) if (!STRICT_KEYWORDS.has(key)) problems.push(`${at}: ${key} is not supported in strict mode`);
    if (typeof s['format'] === 'string' && !STRICT_FORMATS.has(s['format'])) problems.push(`${at}: format ${s['format']} is not supported in strict mode`);
    if (Array.isArray(s['enum'])) enums += s['enum'].length;
    if (typesOf(s).includes('object')) {
      const keys = isSchema(s['properties']) ? Object.keys(s['properties']) : [];
      properties += keys.length;
      if (s['additionalProperties'] !== false) problems.push(`${at}: additionalProperties must be false`);
      const required = Array.isArray(s['required']) ? s['required'] : [];
      const missing = keys.filter((k) => !required.includes(k));
      if (missing.length > 0) problems.push(`${at}: every property must be required (not ${missing.join(', ')})`);
    }
  });
  if (properties > OPENAI_STRICT_MAX_PROPERTIES) problems.push(`${name}: more than ${OPENAI_STRICT_MAX_PROPERTIES} properties`);
  if (enums > OPENAI_STRICT_MAX_ENUM_VALUES) problems.push(`${name}: more than ${OPENAI_STRICT_MAX_ENUM_VALUES} enum values`);
}

/** What a tool list in OpenAI's `tools` form breaks of OpenAI's rules (strict ones for tools marked strict). */
export function openAiToolProblems(document: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(document)) return ['the OpenAI tool list must be an array'];
  for (const tool of document) {
    const fn = isSchema(tool) && tool['type'] === 'function' && isSchema(tool['function']) ? tool['function'] : undefined;
    if (fn === undefined) {
      problems.push('a tool is not {type: "function", function: {...}}');
      continue;
    }
    const name = typeof fn['name'] === 'string' ? fn['name'] : '';
    if (!OPENAI_NAME.test(name)) problems.push(`${name}: the name must match ${OPENAI_NAME.source}`);
    commonProblems(name, fn['parameters'], problems);
    if (fn['strict'] === true && isSchema(fn['parameters'])) strictProblems(name, fn['parameters'], problems);
  }
  return problems;
}

/** What a tool list in Anthropic's form breaks of Anthropic's rules. */
export function anthropicToolProblems(document: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(document)) return ['the Anthropic tool list must be an array'];
  for (const tool of document) {
    const name = isSchema(tool) && typeof tool['name'] === 'string' ? tool['name'] : '';
    if (!ANTHROPIC_NAME.test(name)) problems.push(`${name}: the name must match ${ANTHROPIC_NAME.source}`);
    commonProblems(name, isSchema(tool) ? tool['input_schema'] : undefined, problems);
  }
  return problems;
}

/** What an MCP `tools/list` result breaks of the MCP Tool rules. */
export function mcpToolProblems(document: unknown): string[] {
  const problems: string[] = [];
  const tools = isSchema(document) && Array.isArray(document['tools']) ? document['tools'] : undefined;
  if (tools === undefined) return ['the MCP result must be {tools: [...]}'];
  for (const tool of tools) {
    const name = isSchema(tool) && typeof tool['name'] === 'string' ? tool['name'] : '';
    if (!MCP_NAME.test(name)) problems.push(`${name}: the name must match ${MCP_NAME.source}`);
    commonProblems(name, isSchema(tool) ? tool['inputSchema'] : undefined, problems);
  }
  return problems;
}
