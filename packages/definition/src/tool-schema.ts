import { BurdenLevel, HttpMethod, StringFormat, ToolFormat, type Integration, type Parameter } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { isModelParameter } from './call-state.js';
import { burdenLevelOf } from './defaults.js';
import { BURDEN_LEVEL_NAMES, enumNameOf } from './enum-names.js';
import { isIdempotentMethod } from './http-method.js';
import { openAiStrictSchema } from './openai-strict.js';
import { jsonTypeOf } from './parameter-value.js';
import { LOCAL_TIME_PATTERN, PHONE_E164_PATTERN } from './string-format.js';

/** The dialect of every schema parametersJsonSchema returns (left out of the schema itself: some model APIs refuse `$schema`). */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export type ToolExportFormat = 'openai' | 'anthropic' | 'mcp';

export interface ExportedTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  /** With the strict OpenAI export: whether this tool is strict, and if not, why. */
  readonly strict?: { readonly ok: boolean; readonly why?: string };
}

export interface ExportOptions {
  /**
   * OpenAI only: strict-mode schemas (`strict: true`, every property required, optional ones
   * nullable, `additionalProperties: false`, supported keywords only). A tool that has no strict
   * form is exported as usual with `strict: false`.
   */
  readonly strict?: boolean;
}

export interface ToolExport {
  readonly tools: ExportedTool[];
  /** The whole list in the requested format, ready to hand to the model's API. */
  readonly document: unknown;
}

const JSON_FORMATS: Partial<Record<StringFormat, string>> = {
  [StringFormat.STRING_FORMAT_DATE]: 'date',
  [StringFormat.STRING_FORMAT_DATE_TIME]: 'date-time',
  [StringFormat.STRING_FORMAT_EMAIL]: 'email',
  [StringFormat.STRING_FORMAT_UUID]: 'uuid',
};

/**
 * Formats JSON Schema has no word for, written as patterns. `time` is here rather than in
 * JSON_FORMATS because JSON Schema's `time` needs an offset, and a booking time is local.
 */
const FORMAT_PATTERNS: Partial<Record<StringFormat, string>> = {
  [StringFormat.STRING_FORMAT_TIME]: LOCAL_TIME_PATTERN,
  [StringFormat.STRING_FORMAT_PHONE_E164]: PHONE_E164_PATTERN,
};

/** Models drop the offset or invent phone layouts unless told; the schema alone is not enough. */
const FORMAT_HINTS: Partial<Record<StringFormat, string>> = {
  [StringFormat.STRING_FORMAT_DATE]: 'Date as YYYY-MM-DD.',
  [StringFormat.STRING_FORMAT_DATE_TIME]: 'Date and time with offset, e.g. 2025-03-03T14:00:00-05:00.',
  [StringFormat.STRING_FORMAT_TIME]: 'Local time as HH:MM, 24-hour clock.',
  [StringFormat.STRING_FORMAT_PHONE_E164]: 'Phone number in E.164 format, e.g. +14155550123.',
};

/**
 * The JSON Schema of one parameter as the model sees it. The argument checker (argument-check.ts)
 * validates against exactly this, so what the model is told and what is enforced cannot drift.
 */
export function parameterJsonSchema(p: Parameter): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  // Unspecified (and unrecognised) types are strings: that is what a tool parameter is unless told otherwise.
  schema['type'] = jsonTypeOf(p.type) ?? 'string';
  const type = schema['type'];
  const hint = FORMAT_HINTS[p.format];
  const description = [p.description.trim(), hint ?? ''].filter((s) => s !== '').join(' ');
  if (description !== '') schema['description'] = description;
  const choices: unknown[] = Array.isArray(p.enumValues) ? p.enumValues : [];
  if (choices.length > 0) schema['enum'] = choices;
  const format = JSON_FORMATS[p.format];
  if (format !== undefined) schema['format'] = format;
  const patterns = [p.pattern, FORMAT_PATTERNS[p.format] ?? ''].filter((s) => s !== '');
  if (patterns[0] !== undefined) schema['pattern'] = patterns[0];
  // One schema holds one `pattern`; a second one (a format's plus the integrator's own) must hold too.
  if (patterns[1] !== undefined) schema['allOf'] = [{ pattern: patterns[1] }];
  const array = type === 'array';
  if (p.minLength !== undefined) schema[array ? 'minItems' : 'minLength'] = p.minLength;
  if (p.maxLength !== undefined) schema[array ? 'maxItems' : 'maxLength'] = p.maxLength;
  if (p.minimum !== undefined) schema['minimum'] = p.minimum;
  if (p.maximum !== undefined) schema['maximum'] = p.maximum;
  if (p.defaultValue !== undefined) schema['default'] = p.defaultValue as unknown;
  // Some model APIs refuse an array without `items`; `{}` says any item, as no items did.
  if (array) schema['items'] = p.items === undefined ? {} : parameterJsonSchema(p.items);
  if (type === 'object' && p.properties.length > 0) {
    schema['properties'] = Object.fromEntries(p.properties.map((child) => [child.name, parameterJsonSchema(child)]));
    const required = p.properties.filter((child) => child.required).map((child) => child.name);
    if (required.length > 0) schema['required'] = required;
  }
  return schema;
}

/**
 * JSON Schema (draft 2020-12) of the arguments the model fills: the parameters only. Fixed and
 * call-context values are trusted and never appear, so the model can neither see nor supply them.
 * `required` lists the required parameters as written, default or not, as the executor checks them.
 */
export function parametersJsonSchema(integration: Integration): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of integration.parameters) {
    // A value from the call state is the system's, like a context value: the model never sees it.
    if (!isModelParameter(p)) continue;
    properties[p.name] = parameterJsonSchema(p);
    if (p.required) required.push(p.name);
  }
  const schema: Record<string, unknown> = { type: 'object', properties };
  if (required.length > 0) schema['required'] = required;
  schema['additionalProperties'] = false;
  return schema;
}

/**
 * What the model is told about when it may call a tool. Each sentence matches what the executor's
 * gate enforces for the level, so a well-behaved model never meets the gate and a misbehaving one
 * is stopped by it.
 */
export function burdenInstruction(level: BurdenLevel, acceptedVerificationMethods: readonly string[] = []): string {
  switch (level) {
    case BurdenLevel.BURDEN_LEVEL_AMBIENT:
      return 'Use silently; do not mention the lookup to the caller.';
    case BurdenLevel.BURDEN_LEVEL_UNSPECIFIED:
    case BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL:
      return 'You may tell the caller you are checking.';
    case BurdenLevel.BURDEN_LEVEL_REQUESTED:
      return 'Use only when the caller explicitly asks for this; never on your own initiative.';
    case BurdenLevel.BURDEN_LEVEL_CONFIRMED:
      return (
        'The caller must confirm before this runs. Call it with the final arguments: it does not run yet but ' +
        'returns a confirmation question. Read that question to the caller, and only if they clearly agree, call it ' +
        'again with exactly the same arguments to carry it out. If anything changes, call it with the new arguments ' +
        'and confirm again.'
      );
    case BurdenLevel.BURDEN_LEVEL_VERIFIED: {
      const methods = acceptedVerificationMethods.length > 0 ? ` Accepted verification: ${acceptedVerificationMethods.join(', ')}.` : '';
      return `Use only after the caller's identity has been verified.${methods}`;
    }
    default:
      throw new SwitchboardError('INVALID_DEFINITION', 'unknown burden level');
  }
}

/** The proto's ToolFormat as an export format; UNSPECIFIED means OpenAI. */
export function toolExportFormatOf(format: ToolFormat): ToolExportFormat {
  switch (format) {
    case ToolFormat.TOOL_FORMAT_ANTHROPIC:
      return 'anthropic';
    case ToolFormat.TOOL_FORMAT_MCP:
      return 'mcp';
    case ToolFormat.TOOL_FORMAT_UNSPECIFIED:
    case ToolFormat.TOOL_FORMAT_OPENAI:
      return 'openai';
    default:
      throw new SwitchboardError('INVALID_REQUEST', 'unknown tool format');
  }
}

function toolOf(integration: Integration): ExportedTool {
  const level = burdenLevelOf(integration);
  const instruction = burdenInstruction(level, integration.burden?.acceptedVerificationMethods ?? []);
  return {
    name: integration.key,
    description: `${integration.description.trim()}\n\n${instruction}`,
    inputSchema: parametersJsonSchema(integration),
  };
}

/** The `_meta` key of an MCP tool that says which gate it has, so an MCP server can offer the ways to pass it. */
export const MCP_BURDEN_META_KEY = 'switchboard/burden';

/** What an MCP tool's `_meta["switchboard/burden"]` holds. */
export interface McpToolBurden {
  readonly level: 'ambient' | 'conversational' | 'requested' | 'confirmed' | 'verified';
  /** Verified tools: the verification methods the gate accepts (empty: any). */
  readonly verificationMethods?: readonly string[];
}

/** The statuses an MCP tool result's `structuredContent.status` can take (the MCP gateway writes them). */
export const MCP_RESULT_STATUSES = ['ok', 'accepted', 'confirmation_required', 'verification_required', 'declined', 'failed'] as const;

/**
 * MCP tool annotations from the HTTP method: GET reads, DELETE destroys, GET/PUT/DELETE are
 * idempotent (RFC 9110). Every tool reaches a system outside Switchboard, so the world is open.
 */
function mcpAnnotations(integration: Integration): Record<string, unknown> {
  const method = integration.method;
  const readOnly = method === HttpMethod.HTTP_METHOD_GET;
  const annotations: Record<string, unknown> = { title: integration.name, readOnlyHint: readOnly };
  if (!readOnly) {
    annotations['destructiveHint'] = method === HttpMethod.HTTP_METHOD_DELETE;
    annotations['idempotentHint'] = isIdempotentMethod(method);
  }
  annotations['openWorldHint'] = true;
  return annotations;
}

/**
 * The shape of the gateway's `structuredContent` when the response mapping names its fields: an
 * envelope whose `status` says what happened and whose `result` holds the mapped fields (of any
 * JSON type: a JMESPath expression decides). Without mapped fields there is nothing to promise.
 */
function mcpOutputSchema(integration: Integration): Record<string, unknown> | undefined {
  const fields = integration.responseMapping?.fields ?? [];
  if (fields.length === 0) return undefined;
  const result: Record<string, unknown> = {};
  for (const f of fields) result[f.name] = {};
  return {
    type: 'object',
    properties: {
      status: { type: 'string', enum: [...MCP_RESULT_STATUSES] },
      result: { type: 'object', properties: result },
    },
    required: ['status'],
  };
}

/** One MCP tool: the common tool plus a title, annotations, the output schema and the gate it has. */
function mcpToolOf(integration: Integration, tool: ExportedTool): Record<string, unknown> {
  // burdenLevelOf never answers UNSPECIFIED or an unknown level, so the name is always there.
  const level = (enumNameOf(BURDEN_LEVEL_NAMES, burdenLevelOf(integration)) ?? 'conversational') as McpToolBurden['level'];
  const burden: McpToolBurden =
    level === 'verified' ? { level, verificationMethods: [...(integration.burden?.acceptedVerificationMethods ?? [])] } : { level };
  const out: Record<string, unknown> = {
    name: tool.name,
    title: integration.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
  };
  const outputSchema = mcpOutputSchema(integration);
  if (outputSchema !== undefined) out['outputSchema'] = outputSchema;
  out['annotations'] = mcpAnnotations(integration);
  out['_meta'] = { [MCP_BURDEN_META_KEY]: burden };
  return out;
}

const byKey = (a: Integration, b: Integration) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The enabled integrations as tools, sorted by key so the model sees a stable list (and prompt caches hold). */
export function exportTools(integrations: readonly Integration[], format: ToolExportFormat, options: ExportOptions = {}): ToolExport {
  const enabled = integrations.filter((i) => i.enabled).sort(byKey);
  const sorted = enabled.map(toolOf);
  switch (format) {
    case 'openai': {
      if (options.strict !== true) {
        return {
          tools: sorted,
          document: sorted.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
        };
      }
      const tools = sorted.map((t): ExportedTool => {
        const strict = openAiStrictSchema(t.inputSchema);
        return strict.ok ? { ...t, inputSchema: strict.schema, strict: { ok: true } } : { ...t, strict: { ok: false, why: strict.why } };
      });
      return {
        tools,
        document: tools.map((t) => ({
          type: 'function',
          function: { name: t.name, description: t.description, parameters: t.inputSchema, strict: t.strict?.ok === true },
        })),
      };
    }
    case 'anthropic':
      return { tools: sorted, document: sorted.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema })) };
    case 'mcp':
      return { tools: sorted, document: { tools: enabled.map((i, n) => mcpToolOf(i, sorted[n]!)) } };
  }
}
