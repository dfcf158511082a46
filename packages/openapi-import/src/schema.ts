import { Parameter, ParameterType, StringFormat } from '@switchboard/contracts';
import {
  MAX_ENUM_VALUES,
  MAX_NESTED_PARAMETERS,
  MAX_PARAMETER_NESTING,
  MAX_PROPERTY_NAME_LENGTH,
  MAX_PARAMETER_DESCRIPTION_LENGTH,
  MAX_PATTERN_LENGTH,
  PHONE_E164_PATTERN,
  checkParameterValue,
  hasParameterType,
  patternProblem,
} from '@switchboard/definition';
import { unresolvedRef } from './broken-refs.js';
import { arrayAt, isObject, numberAt, objectAt, oneLine, stringAt, truncate, type JsonObject } from './json.js';

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
type AnyType = JsonType | 'null';

/** A schema with allOf merged, nullability removed and its type settled. */
export interface NormalSchema {
  readonly schema: JsonObject;
  /** undefined: the schema says nothing about the type (any value). */
  readonly type: AnyType | undefined;
  /** Set when the value is one of several object shapes: it can only be passed as one object. */
  readonly choice?: 'oneOf' | 'anyOf';
  /** With `choice`: the object shapes to choose from, in document order. */
  readonly alternatives?: readonly NormalSchema[];
  /** Remarks about what was simplified, for the import's notes. */
  readonly notes: readonly string[];
}

export type Normalised = { readonly ok: true; readonly value: NormalSchema } | { readonly ok: false; readonly why: string };

const MAX_SCHEMA_DEPTH = 32;
const TYPES: readonly string[] = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];

function isAnyType(value: unknown): value is AnyType {
  return typeof value === 'string' && TYPES.includes(value);
}

function typeOfValue(value: unknown): AnyType | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (Array.isArray(value)) return 'array';
  if (isObject(value)) return 'object';
  return undefined;
}

/** One type for several: integer and number read as number; anything else must agree. */
function unify(types: readonly AnyType[]): AnyType | undefined | 'conflict' {
  const set = new Set(types);
  if (set.size === 0) return undefined;
  if (set.size === 1) return types[0];
  if (set.size === 2 && set.has('integer') && set.has('number')) return 'number';
  return 'conflict';
}

function declaredType(s: JsonObject): { type: AnyType | undefined } | { why: string } {
  const t = s['type'];
  if (Array.isArray(t)) {
    const listed = t.filter(isAnyType);
    const nonNull = listed.filter((x) => x !== 'null');
    if (nonNull.length === 0) return { type: listed.length > 0 ? 'null' : undefined };
    const one = unify(nonNull);
    if (one === 'conflict') return { why: `may be any of ${nonNull.join(', ')}` };
    return { type: one };
  }
  if (isAnyType(t)) return { type: t };
  if (objectAt(s, 'properties') !== undefined || s['additionalProperties'] !== undefined) return { type: 'object' };
  if (s['items'] !== undefined) return { type: 'array' };
  const values = arrayAt(s, 'enum') ?? (Object.hasOwn(s, 'const') ? [s['const']] : undefined);
  if (values !== undefined) {
    const one = unify(values.map(typeOfValue).filter((x): x is AnyType => x !== undefined && x !== 'null'));
    return one === 'conflict' ? { why: 'has enum values of several types' } : { type: one };
  }
  return { type: undefined };
}

function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === 'type' || key === 'allOf' || key === 'oneOf' || key === 'anyOf') continue;
    if (key === 'properties' && isObject(value)) {
      target['properties'] = { ...(objectAt(target, 'properties') ?? {}), ...value };
    } else if (key === 'required' && Array.isArray(value)) {
      target['required'] = [...new Set([...(arrayAt(target, 'required') ?? []), ...(value as unknown[])])];
    } else if (!Object.hasOwn(target, key)) {
      target[key] = value;
    }
  }
}

function outerOf(s: JsonObject, drop: string): JsonObject {
  const outer: JsonObject = {};
  for (const [key, value] of Object.entries(s)) if (key !== drop) outer[key] = value;
  return outer;
}

function mergeAll(outer: JsonObject, members: readonly NormalSchema[], what: string): Normalised {
  const own = declaredType(outer);
  if ('why' in own) return { ok: false, why: own.why };
  const types = members.map((m) => m.type).filter((t): t is AnyType => t !== undefined);
  if (outer['type'] !== undefined && own.type !== undefined) types.push(own.type);
  const type = unify(types);
  if (type === 'conflict') return { ok: false, why: `${what} combines ${[...new Set(types)].join(' and ')}` };
  const merged: JsonObject = {};
  // The schema's own keywords (its description, say) win over those of the parts.
  mergeInto(merged, outer);
  for (const m of members) mergeInto(merged, m.schema);
  if (type !== undefined) merged['type'] = type;
  return { ok: true, value: { schema: merged, type, notes: members.flatMap((m) => m.notes) } };
}

function normaliseChoice(s: JsonObject, key: 'oneOf' | 'anyOf', depth: number): Normalised {
  const alternatives: NormalSchema[] = [];
  for (const member of (arrayAt(s, key) ?? []).filter(isObject)) {
    const n = normaliseSchema(member, depth + 1);
    if (!n.ok) return n;
    if (n.value.type !== 'null') alternatives.push(n.value);
  }
  const outer = outerOf(s, key);
  if (alternatives.length === 0) return { ok: false, why: `${key} allows only null` };
  // `oneOf: [X, {type: null}]` is how 3.1 documents often say "X or null".
  if (alternatives.length === 1) return mergeAll(outer, alternatives, key);
  const types = new Set(alternatives.map((a) => a.type));
  const notes = alternatives.flatMap((a) => a.notes);
  const [only] = [...types];
  if (types.size === 1 && only !== undefined && only !== 'object' && only !== 'array') {
    // Several constraints on one scalar type (e.g. two string formats): keep the type, drop the rest.
    const merged: JsonObject = { ...outer, type: only };
    const enums = alternatives.map((a) => arrayAt(a.schema, 'enum'));
    if (enums.every((e) => e !== undefined)) merged['enum'] = [...new Set(enums.flat())];
    return { ok: true, value: { schema: merged, type: only, notes: [...notes, `${key} of ${alternatives.length} ${only} schemas is read as any ${only}`] } };
  }
  if (types.size === 1 && only === 'object') {
    // Each shape keeps what the outer schema says too (shared properties, required names).
    const shapes = alternatives.map((a) => {
      const merged = mergeAll(outerOf(outer, 'discriminator'), [a], key);
      return merged.ok ? merged.value : a;
    });
    return { ok: true, value: { schema: { ...outer, type: 'object' }, type: 'object', choice: key, alternatives: shapes, notes } };
  }
  return { ok: false, why: `is ${key} ${[...types].map((t) => t ?? 'any').join(', ')}, which one parameter cannot express` };
}

/**
 * Settles what a (dereferenced) schema means for one parameter: allOf parts merged, `X or null`
 * read as X (3.0 `nullable`, 3.1 `type: [X, "null"]` or `oneOf` with null), `const` as a one-value
 * enum. A schema that is one of several object shapes is marked as a choice; one of several types
 * is refused with the reason.
 */
export function normaliseSchema(schema: JsonObject, depth = 0): Normalised {
  if (depth > MAX_SCHEMA_DEPTH) return { ok: false, why: 'nests too deeply (a recursive schema?)' };
  const broken = unresolvedRef(schema);
  if (broken !== undefined) return { ok: false, why: `refers to ${broken}, which cannot be followed` };
  if (Array.isArray(schema['allOf'])) {
    const members: NormalSchema[] = [];
    for (const member of (schema['allOf'] as unknown[]).filter(isObject)) {
      const n = normaliseSchema(member, depth + 1);
      if (!n.ok) return n;
      members.push(n.value);
    }
    const merged = mergeAll(outerOf(schema, 'allOf'), members, 'allOf');
    if (!merged.ok) return merged;
    // The merged schema may still hold a oneOf/anyOf from the outer schema.
    if (merged.value.schema['oneOf'] !== undefined || merged.value.schema['anyOf'] !== undefined) return normaliseSchema(merged.value.schema, depth + 1);
    return merged;
  }
  if (Array.isArray(schema['oneOf'])) return normaliseChoice(schema, 'oneOf', depth);
  if (Array.isArray(schema['anyOf'])) return normaliseChoice(schema, 'anyOf', depth);
  const declared = declaredType(schema);
  if ('why' in declared) return { ok: false, why: declared.why };
  const out: JsonObject = { ...schema };
  if (Object.hasOwn(schema, 'const') && arrayAt(schema, 'enum') === undefined) out['enum'] = [schema['const']];
  return { ok: true, value: { schema: out, type: declared.type, notes: [] } };
}

/** The parameter fields a schema gives, before it is named and placed. */
export interface ParameterDraft {
  readonly type: ParameterType;
  readonly format: StringFormat;
  readonly enumValues?: unknown[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern: string;
  readonly defaultValue?: unknown;
  readonly description: string;
  readonly sensitive: boolean;
  /** An array's item type. */
  readonly items?: Parameter;
  /** An object's properties. */
  readonly properties: Parameter[];
  /** The document's example value, when it is a valid argument: used for sample_arguments. */
  readonly example?: unknown;
}

const PARAMETER_TYPES: Record<JsonType, ParameterType> = {
  string: ParameterType.PARAMETER_TYPE_STRING,
  number: ParameterType.PARAMETER_TYPE_NUMBER,
  integer: ParameterType.PARAMETER_TYPE_INTEGER,
  boolean: ParameterType.PARAMETER_TYPE_BOOLEAN,
  array: ParameterType.PARAMETER_TYPE_ARRAY,
  object: ParameterType.PARAMETER_TYPE_OBJECT,
};

const FORMATS: Record<string, StringFormat> = {
  date: StringFormat.STRING_FORMAT_DATE,
  'date-time': StringFormat.STRING_FORMAT_DATE_TIME,
  email: StringFormat.STRING_FORMAT_EMAIL,
  'idn-email': StringFormat.STRING_FORMAT_EMAIL,
  uuid: StringFormat.STRING_FORMAT_UUID,
  phone: StringFormat.STRING_FORMAT_PHONE_E164,
  'phone-number': StringFormat.STRING_FORMAT_PHONE_E164,
  phone_number: StringFormat.STRING_FORMAT_PHONE_E164,
  phonenumber: StringFormat.STRING_FORMAT_PHONE_E164,
  tel: StringFormat.STRING_FORMAT_PHONE_E164,
  e164: StringFormat.STRING_FORMAT_PHONE_E164,
  'e.164': StringFormat.STRING_FORMAT_PHONE_E164,
};

/**
 * Whether a pattern asks for an E.164 number: a mandatory leading plus, then digits, at most 15
 * (`^\+[1-9]\d{1,14}$`, `^\+[0-9]{8,15}$`...).
 */
export function looksLikeE164(pattern: string): boolean {
  const p = pattern.replace(/\s/g, '');
  return /^\^\\\+(\[1-9\])?(\\d|\[0-9\])\{\d+,1[45]\}\$$/.test(p);
}

function wholeNumber(value: number | undefined): number | undefined {
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function boundsOf(s: JsonObject, type: JsonType, notes: string[]): { minimum?: number; maximum?: number } {
  let minimum = numberAt(s, 'minimum');
  let maximum = numberAt(s, 'maximum');
  // 3.0: exclusiveMinimum is a flag on minimum; 3.1 (JSON Schema 2020-12): it is the bound itself.
  const exMin = s['exclusiveMinimum'] === true ? minimum : numberAt(s, 'exclusiveMinimum');
  const exMax = s['exclusiveMaximum'] === true ? maximum : numberAt(s, 'exclusiveMaximum');
  if (exMin !== undefined) {
    if (type === 'integer') minimum = Math.floor(exMin) + 1;
    else {
      minimum = exMin;
      notes.push(`exclusive minimum ${exMin} is checked as inclusive`);
    }
  }
  if (exMax !== undefined) {
    if (type === 'integer') maximum = Math.ceil(exMax) - 1;
    else {
      maximum = exMax;
      notes.push(`exclusive maximum ${exMax} is checked as inclusive`);
    }
  }
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
    notes.push(`its range (${minimum} to ${maximum}) is empty and was left out`);
    return {};
  }
  return { minimum, maximum };
}

function lengthsOf(s: JsonObject, type: JsonType, notes: string[]): { minLength?: number; maxLength?: number } {
  const minLength = wholeNumber(numberAt(s, type === 'array' ? 'minItems' : 'minLength'));
  const maxLength = wholeNumber(numberAt(s, type === 'array' ? 'maxItems' : 'maxLength'));
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
    notes.push('its length bounds contradict each other and were left out');
    return {};
  }
  return { minLength, maxLength };
}

function patternOf(s: JsonObject, notes: string[]): string {
  const pattern = stringAt(s, 'pattern') ?? '';
  if (pattern === '') return '';
  if (pattern.length > MAX_PATTERN_LENGTH) {
    notes.push(`its pattern is longer than ${MAX_PATTERN_LENGTH} characters and was left out`);
    return '';
  }
  // The registry's own rule (ECMA-262 with the u flag, and runnable in linear time on RE2), so an
  // imported definition saves.
  const problem = patternProblem(pattern);
  if (problem === undefined) return pattern;
  notes.push(`its pattern ${problem} and was left out`);
  return '';
}

function enumOf(s: JsonObject, type: ParameterType, notes: string[]): unknown[] | undefined {
  const values = arrayAt(s, 'enum')?.filter((v) => v !== null);
  if (values === undefined || values.length === 0) return undefined;
  const unique = values.filter((v, i) => values.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) === i);
  if (unique.length > MAX_ENUM_VALUES) {
    notes.push(`its ${unique.length} enum values are more than ${MAX_ENUM_VALUES} and were left out`);
    return undefined;
  }
  if (!unique.every((v) => hasParameterType(type, v))) {
    notes.push("its enum values do not all have the parameter's type and were left out");
    return undefined;
  }
  return unique;
}

function firstExample(s: JsonObject): unknown {
  if (Object.hasOwn(s, 'example')) return s['example'];
  const examples = arrayAt(s, 'examples');
  return examples !== undefined && examples.length > 0 ? examples[0] : undefined;
}

function probeOf(draft: ParameterDraft): Parameter {
  const { example: _example, ...fields } = draft;
  return Parameter.fromPartial({ ...fields, enumValues: fields.enumValues ?? [] });
}

/** A parameter description: the first that is set, on one line, within the limit. */
export function describe(...candidates: (string | undefined)[]): string {
  const text = oneLine(candidates.find((c) => c !== undefined && c.trim() !== '') ?? '');
  return truncate(text, MAX_PARAMETER_DESCRIPTION_LENGTH).text;
}

/** How many nested items and properties one parameter may still take (MAX_NESTED_PARAMETERS in all). */
interface Budget {
  left: number;
}

/** A nested item or property: the same translation as a parameter, with no location of its own. */
function nestedParameter(name: string, required: boolean, raw: JsonObject, depth: number, budget: Budget, notes: string[]): Parameter | undefined {
  const n = normaliseSchema(raw);
  const at = name === '' ? 'its items' : `property ${name}`;
  if (!n.ok) {
    notes.push(`${at} ${n.why}, and was left out`);
    return undefined;
  }
  if (n.value.type === undefined || n.value.type === 'null') {
    // Any value: the parameter stays without a declared item type or property.
    if (name !== '') notes.push(`${at} has no type and was left out`);
    return undefined;
  }
  if (budget.left <= 0) return undefined;
  budget.left -= 1;
  const draft = draftShape(n.value, n.value.type, notes, depth, budget);
  const { example: _example, ...fields } = draft;
  return Parameter.fromPartial({ ...fields, name, required });
}

/** An array's item type and an object's properties, as deep as the definition format allows. */
function nestedOf(normal: NormalSchema, type: JsonType, notes: string[], depth: number, budget: Budget): { items?: Parameter; properties: Parameter[] } {
  const s = normal.schema;
  if (depth > MAX_PARAMETER_NESTING) return { properties: [] };
  if (type === 'array') {
    const items = objectAt(s, 'items');
    const parameter = items === undefined ? undefined : nestedParameter('', false, items, depth + 1, budget, notes);
    return parameter === undefined ? { properties: [] } : { items: parameter, properties: [] };
  }
  if (type !== 'object' || normal.choice !== undefined) return { properties: [] };
  const requiredNames = new Set((arrayAt(s, 'required') ?? []).filter((r): r is string => typeof r === 'string'));
  const properties: Parameter[] = [];
  for (const [name, raw] of Object.entries(objectAt(s, 'properties') ?? {})) {
    if (!isObject(raw) || raw['readOnly'] === true) continue;
    if (name === '' || name.length > MAX_PROPERTY_NAME_LENGTH) continue;
    const parameter = nestedParameter(name, requiredNames.has(name), raw, depth + 1, budget, notes);
    if (parameter !== undefined) properties.push(parameter);
  }
  if (budget.left <= 0) notes.push(`it has more than ${MAX_NESTED_PARAMETERS} nested items and properties: the rest are not described to the model`);
  return { properties };
}

/**
 * The parameter fields for a normalised schema of a settled type: format (date, date-time, email,
 * uuid; phone when the format or pattern says E.164), enum, length and range bounds, pattern,
 * default and example. A constraint Switchboard cannot check exactly is left out with a note,
 * never guessed; a default or example that breaks the parameter's own rules is dropped.
 */
export function draftParameter(normal: NormalSchema, type: JsonType, notes: string[]): ParameterDraft {
  return draftShape(normal, type, notes, 1, { left: MAX_NESTED_PARAMETERS });
}

function draftShape(normal: NormalSchema, type: JsonType, notes: string[], depth: number, budget: Budget): ParameterDraft {
  const s = normal.schema;
  const ptype = PARAMETER_TYPES[type];
  let format = StringFormat.STRING_FORMAT_UNSPECIFIED;
  let pattern = '';
  let lengths: { minLength?: number; maxLength?: number } = {};
  let bounds: { minimum?: number; maximum?: number } = {};
  const rawFormat = (stringAt(s, 'format') ?? '').toLowerCase();
  if (type === 'string') {
    pattern = patternOf(s, notes);
    format = FORMATS[rawFormat] ?? StringFormat.STRING_FORMAT_UNSPECIFIED;
    if (format === StringFormat.STRING_FORMAT_UNSPECIFIED && pattern !== '' && looksLikeE164(pattern)) format = StringFormat.STRING_FORMAT_PHONE_E164;
    // The format says it all: keeping an identical pattern would only repeat it.
    if (format === StringFormat.STRING_FORMAT_PHONE_E164 && pattern === PHONE_E164_PATTERN) pattern = '';
  }
  if (type === 'string' || type === 'array') lengths = lengthsOf(s, type, notes);
  if (type === 'number' || type === 'integer') bounds = boundsOf(s, type, notes);
  const enumValues = type === 'object' || type === 'array' ? undefined : enumOf(s, ptype, notes);
  const draft: ParameterDraft = {
    type: ptype,
    format,
    ...(enumValues === undefined ? {} : { enumValues }),
    ...lengths,
    ...bounds,
    pattern,
    description: describe(stringAt(s, 'description'), stringAt(s, 'title')),
    sensitive: rawFormat === 'password',
    ...nestedOf(normal, type, notes, depth, budget),
  };
  const probe = probeOf(draft);
  let defaultValue: unknown;
  if (Object.hasOwn(s, 'default') && s['default'] !== null) {
    if (checkParameterValue(probe, s['default']) === undefined) defaultValue = s['default'];
    else notes.push("its default does not meet the parameter's own rules and was left out");
  }
  const example = firstExample(s);
  return {
    ...draft,
    ...(defaultValue === undefined ? {} : { defaultValue }),
    ...(example !== undefined && checkParameterValue(probe, example) === undefined ? { example } : {}),
  };
}

/** Whether an example value is valid for a drafted parameter (a parameter-level example, say). */
export function validExample(draft: ParameterDraft, value: unknown): boolean {
  return value !== undefined && checkParameterValue(probeOf(draft), value) === undefined;
}

/**
 * The one value a parameter can take, when the document says so: a single enum value, a `const`,
 * or a default the description insists on ("must be set to 2024-01-01"). Such a value is sent as a
 * fixed value; the model is never asked for it.
 */
export function constantOf(schema: JsonObject, description: string | undefined): { value: unknown } | undefined {
  const values = arrayAt(schema, 'enum')?.filter((v) => v !== null);
  if (values !== undefined && values.length === 1) return { value: values[0] };
  if (Object.hasOwn(schema, 'const') && schema['const'] !== null) return { value: schema['const'] };
  const fallback = schema['default'];
  if (fallback === undefined || fallback === null || typeof fallback === 'object') return undefined;
  const text = `${description ?? ''} ${stringAt(schema, 'description') ?? ''}`;
  const insisted = new RegExp(`must (always )?(be|equal)( set to)?\\W{0,3}${(typeof fallback === 'string' ? fallback : JSON.stringify(fallback)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i');
  return insisted.test(text) ? { value: fallback } : undefined;
}
