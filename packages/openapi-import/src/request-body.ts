import { BodyEncoding } from '@switchboard/contracts';
import { MAX_PARAMETERS, MAX_WIRE_NAME_LENGTH } from '@switchboard/definition';
import { arrayAt, isObject, objectAt, objectEntries, stringAt, type JsonObject } from './json.js';
import { constantOf, draftParameter, normaliseSchema, type JsonType, type NormalSchema, type ParameterDraft } from './schema.js';

/** Nested objects are flattened to dotted wire names up to this many segments (`a.b.c`); deeper ones stay one object. */
export const MAX_BODY_DEPTH = 3;

/** One body field on its way to becoming a parameter. */
export interface BodyField {
  /** Dotted path in the body, e.g. `contact.email`. */
  readonly wireName: string;
  readonly required: boolean;
  readonly draft: ParameterDraft;
}

export interface TranslatedBody {
  readonly encoding: BodyEncoding;
  /** Required fields with one possible value: sent as fixed values, never asked of the model. */
  readonly fixed: readonly { readonly wireName: string; readonly value: unknown }[];
  readonly fields: readonly BodyField[];
  /** A JSON media type other than application/json (e.g. application/vnd.api+json), sent as Content-Type. */
  readonly contentType: string | undefined;
  /** Body fields (or the body) left out, with why. */
  readonly skipped: readonly { readonly what: string; readonly why: string }[];
  readonly notes: readonly string[];
}

export type BodyResult = { readonly ok: true; readonly value: TranslatedBody } | { readonly ok: false; readonly why: string };

const FORM = 'application/x-www-form-urlencoded';

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function isJson(contentType: string): boolean {
  return /^application\/([a-z0-9!#$&^_.-]+\+)?json$/.test(mediaType(contentType));
}

interface Walk {
  readonly form: boolean;
  /** How many segments deep objects are flattened: MAX_BODY_DEPTH, or 1 when that makes too many parameters. */
  readonly depth: number;
  readonly fixed: { wireName: string; value: unknown }[];
  readonly fields: BodyField[];
  readonly skipped: { what: string; why: string }[];
  readonly notes: string[];
}

/** A field that cannot be sent: left out when optional, fatal for the operation when required. */
function refuse(walk: Walk, wire: string, required: boolean, why: string): string | undefined {
  if (required) return `its required body field ${wire} ${why}`;
  walk.skipped.push({ what: `body field ${wire}`, why });
  return undefined;
}

function addField(walk: Walk, wire: string, required: boolean, normal: NormalSchema, type: JsonType): void {
  const constant = required ? constantOf(normal.schema, undefined) : undefined;
  if (constant !== undefined && type !== 'object' && type !== 'array') {
    walk.fixed.push({ wireName: wire, value: constant.value });
    walk.notes.push(`body field ${wire} can only be ${JSON.stringify(constant.value)}: it is a fixed value, not a parameter`);
    return;
  }
  const notes: string[] = [];
  const draft = draftParameter(normal, type, notes);
  walk.fields.push({ wireName: wire, required, draft });
  for (const n of [...normal.notes, ...notes]) walk.notes.push(`body field ${wire}: ${n}`);
}

/** Walks an object schema's properties; returns why the operation cannot be imported, if it cannot. */
function flatten(walk: Walk, object: NormalSchema, path: readonly string[], required: boolean): string | undefined {
  const requiredNames = new Set((arrayAt(object.schema, 'required') ?? []).filter((r): r is string => typeof r === 'string'));
  for (const [prop, raw] of objectEntries(objectAt(object.schema, 'properties'))) {
    // readOnly properties are what the API returns, never what it is sent.
    if (raw['readOnly'] === true) continue;
    const segments = [...path, prop];
    const wire = segments.join('.');
    const isRequired = required && requiredNames.has(prop);
    if (prop === '' || prop.includes('.')) {
      const why = refuse(walk, wire, isRequired, 'has a name with a dot (or no name), which a dotted body path cannot hold');
      if (why !== undefined) return why;
      continue;
    }
    if (wire.length > MAX_WIRE_NAME_LENGTH) {
      const why = refuse(walk, wire, isRequired, `has a path longer than ${MAX_WIRE_NAME_LENGTH} characters`);
      if (why !== undefined) return why;
      continue;
    }
    const n = normaliseSchema(raw);
    if (!n.ok || n.value.type === undefined || n.value.type === 'null') {
      const why = refuse(walk, wire, isRequired, n.ok ? (n.value.type === 'null' ? 'can only be null' : 'has no type') : n.why);
      if (why !== undefined) return why;
      continue;
    }
    const type = n.value.type;
    if (type !== 'object') {
      addField(walk, wire, isRequired, n.value, type);
      continue;
    }
    if (walk.form) {
      const why = refuse(walk, wire, isRequired, 'is an object, which a form-encoded body cannot nest');
      if (why !== undefined) return why;
      continue;
    }
    const hasProperties = objectEntries(objectAt(n.value.schema, 'properties')).length > 0;
    if (n.value.choice !== undefined) {
      walk.notes.push(`body field ${wire} is ${n.value.choice} several object shapes: it is one object parameter; describe the shapes to the model if it must choose`);
      addField(walk, wire, isRequired, n.value, 'object');
    } else if (!hasProperties) {
      addField(walk, wire, isRequired, n.value, 'object');
    } else if (segments.length >= walk.depth) {
      if (walk.depth === MAX_BODY_DEPTH) {
        walk.notes.push(`body field ${wire} is an object ${segments.length} levels down: it is one object parameter (fields are flattened to ${MAX_BODY_DEPTH} levels at most)`);
      }
      addField(walk, wire, isRequired, n.value, 'object');
    } else {
      for (const note of n.value.notes) walk.notes.push(`body field ${wire}: ${note}`);
      const why = flatten(walk, n.value, segments, isRequired);
      if (why !== undefined) return why;
    }
  }
  return undefined;
}

const EMPTY: TranslatedBody = { encoding: BodyEncoding.BODY_ENCODING_UNSPECIFIED, fixed: [], fields: [], contentType: undefined, skipped: [], notes: [] };

/**
 * The request body as parameters: a JSON (or form-encoded) object flattened to one parameter per
 * field with dotted wire names (`contact.email`), nested objects up to MAX_BODY_DEPTH, deeper or
 * free-form ones as one object parameter. A body Switchboard cannot send (multipart, XML, a
 * top-level array, one of several shapes) is left out when optional and refuses the operation when
 * required.
 */
export function translateBody(requestBody: JsonObject | undefined): BodyResult {
  if (requestBody === undefined) return { ok: true, value: EMPTY };
  const bodyRequired = requestBody['required'] === true;
  const content = objectAt(requestBody, 'content') ?? {};
  const types = Object.keys(content);
  const chosen = types.find((t) => mediaType(t) === 'application/json') ?? types.find(isJson) ?? types.find((t) => mediaType(t) === FORM);
  const optional = (why: string): BodyResult =>
    bodyRequired ? { ok: false, why: `its request body ${why}` } : { ok: true, value: { ...EMPTY, skipped: [{ what: 'request body', why }] } };
  if (chosen === undefined) {
    return optional(`is ${types.join(', ') || 'of no declared media type'}; Switchboard sends JSON or form-encoded bodies only`);
  }
  const form = mediaType(chosen) === FORM;
  const notes: string[] = [];
  const others = types.filter((t) => t !== chosen);
  if (others.length > 0) notes.push(`the request body is sent as ${mediaType(chosen)} (the document also accepts ${others.join(', ')})`);
  if (form) notes.push('the request body is form-encoded (body_encoding FORM)');
  const media = objectAt(content, chosen) ?? {};
  const schema = objectAt(media, 'schema');
  if (schema === undefined) return optional('has no schema');
  const root = normaliseSchema(schema);
  if (!root.ok) return optional(root.why);
  if (root.value.type !== 'object') return optional(`is ${root.value.type === undefined ? 'of any type' : `a JSON ${root.value.type}`}; body parameters build an object`);
  const shapes = root.value.choice === undefined ? [root.value] : (root.value.alternatives ?? []);
  const hasFields = (shape: NormalSchema): boolean => objectEntries(objectAt(shape.schema, 'properties')).length > 0;
  if (!shapes.some(hasFields)) {
    return optional(root.value.choice === undefined ? 'is a free-form object without declared properties' : `is ${root.value.choice} object shapes none of which declares properties`);
  }
  notes.push(...root.value.notes.map((n) => `request body: ${n}`));
  let walk: Walk | undefined;
  let why: string | undefined;
  // One of several shapes (a booking for a person or for a team, say): the first that translates.
  for (const [index, shape] of shapes.entries()) {
    if (!hasFields(shape)) continue;
    let attempt: Walk = { form, depth: MAX_BODY_DEPTH, fixed: [], fields: [], skipped: [], notes: [...notes] };
    const failed = flatten(attempt, shape, [], bodyRequired);
    if (failed === undefined && attempt.fields.length > MAX_PARAMETERS) {
      // A large body (a payments API's, say) flattens to more fields than a definition holds: its
      // top-level fields become the parameters, nested objects one parameter each with their properties.
      const flatter: Walk = { form, depth: 1, fixed: [], fields: [], skipped: [], notes: [...notes] };
      if (flatten(flatter, shape, [], bodyRequired) === undefined) {
        flatter.notes.push(`the request body's ${attempt.fields.length} nested fields are more than the ${MAX_PARAMETERS} parameters a definition holds: each top-level field is one parameter, objects with their properties`);
        attempt = flatter;
      }
    }
    if (failed !== undefined) {
      why ??= failed;
      continue;
    }
    // A shape of which nothing could be kept is a last resort: a later one may say more.
    if (attempt.fields.length === 0 && attempt.fixed.length === 0 && index < shapes.length - 1) {
      why ??= 'its request body has no field that can be sent';
      continue;
    }
    walk = attempt;
    if (root.value.choice !== undefined) {
      const title = stringAt(shape.schema, 'title');
      walk.notes.push(
        `the request body is ${root.value.choice} ${shapes.length} shapes: shape ${index + 1}${title === undefined ? '' : ` (${title})`} is imported; import the operation again and edit the copy for another`,
      );
    }
    break;
  }
  if (walk === undefined) return { ok: false, why: why ?? 'its request body cannot be translated' };
  const contentType = !form && mediaType(chosen) !== 'application/json' ? mediaType(chosen) : undefined;
  return {
    ok: true,
    value: {
      encoding: form ? BodyEncoding.BODY_ENCODING_FORM : BodyEncoding.BODY_ENCODING_UNSPECIFIED,
      fields: walk.fields,
      contentType,
      fixed: walk.fixed,
      skipped: walk.skipped,
      notes: walk.notes,
    },
  };
}

/** The document's example for the whole body, for sample arguments: `{contact: {email: ...}}` -> value at a dotted path. */
export function bodyExampleAt(requestBody: JsonObject | undefined, wire: string): unknown {
  if (requestBody === undefined) return undefined;
  const content = objectAt(requestBody, 'content') ?? {};
  for (const [type, media] of objectEntries(content)) {
    if (!isJson(type) && mediaType(type) !== FORM) continue;
    let value: unknown = media['example'] ?? objectAt(media, 'schema')?.['example'];
    if (value === undefined) {
      const first = objectEntries(objectAt(media, 'examples'))[0];
      value = first?.[1]['value'];
    }
    for (const segment of wire.split('.')) value = isObject(value) ? value[segment] : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}
