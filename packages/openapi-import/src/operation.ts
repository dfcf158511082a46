import {
  ApiKeyPlacement,
  AuthType,
  HttpMethod,
  Integration,
  ParameterLocation,
  type Auth,
  type FixedValue,
  type Parameter,
} from '@switchboard/contracts';
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_PARAMETERS, headerNameProblem, validateIntegration } from '@switchboard/definition';
import { describeFieldProblems } from '@switchboard/errors';
import { unresolvedRef } from './broken-refs.js';
import { suggestBurden } from './burden.js';
import { withSensitivity } from './sensitive.js';
import { arrayAt, isObject, objectAt, objectEntries, oneLine, stringAt, truncate, type JsonObject } from './json.js';
import { credentialId, humanise, parameterName, uniqueName, words } from './names.js';
import { CannotTranslate } from './report.js';
import { bodyExampleAt, translateBody } from './request-body.js';
import { constantOf, describe, draftParameter, normaliseSchema, validExample, type ParameterDraft } from './schema.js';
import { chooseAuth, chosenAuth, credentialParameter, renameCredential, type ChosenAuth, type CredentialNeed } from './security.js';
import type { AuthChoice } from './types.js';
import { urlTemplate } from './server-url.js';

const HTTP_METHODS: Readonly<Record<string, HttpMethod>> = {
  get: HttpMethod.HTTP_METHOD_GET,
  post: HttpMethod.HTTP_METHOD_POST,
  put: HttpMethod.HTTP_METHOD_PUT,
  patch: HttpMethod.HTTP_METHOD_PATCH,
  delete: HttpMethod.HTTP_METHOD_DELETE,
};

export interface OperationInput {
  /** operationId, or `METHOD /path`. */
  readonly label: string;
  readonly key: string;
  /** Lower case, one of HTTP_METHODS. */
  readonly method: string;
  readonly path: string;
  readonly pathItem: JsonObject;
  readonly operation: JsonObject;
  readonly doc: JsonObject;
  /** The server base URL, without a trailing slash. */
  readonly base: string;
  /** The integrator's choice of auth, over the document's security. */
  readonly auth?: AuthChoice | undefined;
}

export interface TranslatedOperation {
  readonly integration: Integration;
  readonly credential: CredentialNeed | undefined;
  readonly skipped: readonly { readonly what: string; readonly why: string }[];
  readonly notes: readonly string[];
}

/** A parameter before it gets its final, unique name. */
interface Candidate {
  readonly raw: string;
  readonly location: ParameterLocation;
  readonly required: boolean;
  readonly draft: ParameterDraft;
  readonly example: unknown;
  /** Body fields: the dotted path; others: the document's name. */
  readonly wire: string;
}

const LOCATION_WORDS: Readonly<Record<string, ParameterLocation>> = {
  path: ParameterLocation.PARAMETER_LOCATION_PATH,
  query: ParameterLocation.PARAMETER_LOCATION_QUERY,
  header: ParameterLocation.PARAMETER_LOCATION_HEADER,
};
const SUFFIX: Readonly<Record<number, string>> = {
  [ParameterLocation.PARAMETER_LOCATION_PATH]: 'path',
  [ParameterLocation.PARAMETER_LOCATION_QUERY]: 'query',
  [ParameterLocation.PARAMETER_LOCATION_HEADER]: 'header',
  [ParameterLocation.PARAMETER_LOCATION_BODY]: 'body',
};
// OpenAPI 3: "If in is header and the name field is Accept, Content-Type or Authorization, the parameter definition SHALL be ignored."
const IGNORED_HEADERS: ReadonlySet<string> = new Set(['accept', 'content-type', 'authorization']);

/** The operation's parameters with the path item's, the operation's winning on the same name and location. */
function mergedParameters(pathItem: JsonObject, operation: JsonObject): JsonObject[] {
  const byKey = new Map<string, JsonObject>();
  for (const p of [...(arrayAt(pathItem, 'parameters') ?? []), ...(arrayAt(operation, 'parameters') ?? [])]) {
    if (!isObject(p)) continue;
    const broken = unresolvedRef(p);
    if (broken !== undefined) throw new CannotTranslate(`a parameter refers to ${broken}, which cannot be followed`);
    byKey.set(`${stringAt(p, 'in') ?? ''}:${stringAt(p, 'name') ?? ''}`, p);
  }
  return [...byKey.values()];
}

function parameterExample(p: JsonObject): unknown {
  if (Object.hasOwn(p, 'example')) return p['example'];
  const first = objectEntries(objectAt(p, 'examples'))[0];
  return first?.[1]['value'];
}

function authWire(auth: Auth | undefined): { location: ParameterLocation; name: string } | undefined {
  if (auth === undefined || auth.type !== AuthType.AUTH_TYPE_API_KEY) return undefined;
  return {
    location: auth.apiKeyIn === ApiKeyPlacement.API_KEY_PLACEMENT_QUERY ? ParameterLocation.PARAMETER_LOCATION_QUERY : ParameterLocation.PARAMETER_LOCATION_HEADER,
    name: auth.apiKeyName.toLowerCase(),
  };
}

class Collector {
  readonly candidates: Candidate[] = [];
  /** Values the document fixes (an API version header, say): sent as they are, never asked of the model. */
  readonly fixed: FixedValue[] = [];
  /** Path placeholders with one possible value, written into the URL template. */
  readonly pathConstants = new Map<string, string>();
  readonly skipped: { what: string; why: string }[] = [];
  readonly notes: string[] = [];

  /** Leaves an optional parameter out with why; a required one stops the operation. */
  refuse(what: string, required: boolean, why: string): void {
    if (required) throw new CannotTranslate(`its required ${what} ${why}`);
    this.skipped.push({ what, why });
  }
}

function translateParameter(p: JsonObject, auth: Auth | undefined, c: Collector): void {
  const raw = stringAt(p, 'name') ?? '';
  const where = stringAt(p, 'in') ?? '';
  const required = where === 'path' || p['required'] === true;
  const what = `${where} parameter ${raw}`;
  if (where === 'cookie') return c.refuse(what, required, 'is a cookie: Switchboard sends no cookies');
  const location = LOCATION_WORDS[where];
  if (location === undefined) return c.refuse(what, required, `is in "${where}", which is not a parameter location`);
  if (location === ParameterLocation.PARAMETER_LOCATION_HEADER) {
    if (IGNORED_HEADERS.has(raw.toLowerCase())) {
      c.skipped.push({ what, why: 'OpenAPI ignores a header parameter with this name (auth and content type are set elsewhere)' });
      return;
    }
    const problem = headerNameProblem(raw);
    if (problem !== undefined) return c.refuse(what, required, problem);
  }
  const key = authWire(auth);
  if (key !== undefined && key.location === location && key.name === raw.toLowerCase()) {
    c.skipped.push({ what, why: 'is the API key, which auth sends from the credential' });
    return;
  }
  if (credentialParameter(where, raw) !== undefined) {
    c.skipped.push({ what, why: 'carries a credential, which the model is never asked for: the definition\'s auth must send it (import with --auth)' });
    return;
  }
  const schema = objectAt(p, 'schema');
  if (schema === undefined) {
    return c.refuse(what, required, 'is described with content (a serialised value) instead of a schema, which is not supported');
  }
  const n = normaliseSchema(schema);
  if (!n.ok) return c.refuse(what, required, n.why);
  if (n.value.type === 'null') return c.refuse(what, required, 'can only be null');
  const notes: string[] = [...n.value.notes];
  let type = n.value.type;
  if (type === undefined) {
    type = 'string';
    notes.push('has no type and is read as a string');
  }
  const scalar = type !== 'array' && type !== 'object';
  const versionHeader = location === ParameterLocation.PARAMETER_LOCATION_HEADER && /version/i.test(raw) && scalar && n.value.schema['default'] !== undefined;
  // An API version header with a default is the version the document describes: it is sent as that.
  const constant = versionHeader
    ? { value: n.value.schema['default'] }
    : required && scalar ? constantOf(n.value.schema, stringAt(p, 'description')) : undefined;
  if (constant !== undefined) {
    if (location === ParameterLocation.PARAMETER_LOCATION_PATH) c.pathConstants.set(raw, encodeURIComponent(String(constant.value)));
    else c.fixed.push({ name: raw, location, value: constant.value });
    c.notes.push(`${what} can only be ${JSON.stringify(constant.value)}: it is a fixed value, not a parameter`);
    return;
  }
  if (location !== ParameterLocation.PARAMETER_LOCATION_QUERY && !scalar) {
    return c.refuse(what, required, `is ${type === 'array' ? 'an array' : 'an object'}, and a ${where} parameter must be one value`);
  }
  if (type === 'object') return c.refuse(what, required, 'is an object, which Switchboard does not put in a query string (deepObject)');
  const style = stringAt(p, 'style') ?? 'form';
  if (type === 'array' && (style !== 'form' || p['explode'] === false)) {
    notes.push(`is sent as repeated ${raw}=value pairs, not ${p['explode'] === false ? 'comma-separated' : style}`);
  }
  if (p['deprecated'] === true) notes.push('is deprecated in the document');
  const draft = draftParameter(n.value, type, notes);
  const described = { ...draft, description: describe(stringAt(p, 'description'), draft.description) };
  const example = parameterExample(p);
  c.candidates.push({ raw, location, required, draft: described, example: validExample(described, example) ? example : draft.example, wire: raw });
  for (const note of notes) c.notes.push(`${what}: ${note}`);
}

/** Final names: the document's when they are identifiers and free, else suffixed with the location. */
function nameCandidates(candidates: readonly Candidate[]): { parameters: Parameter[]; placeholders: Map<string, string>; examples: Map<string, unknown> } {
  const taken = new Set<string>();
  const placeholders = new Map<string, string>();
  const examples = new Map<string, unknown>();
  const parameters = candidates.map((cand) => {
    const base = parameterName(cand.location === ParameterLocation.PARAMETER_LOCATION_BODY ? cand.wire.replaceAll('.', '_') : cand.raw);
    const suffixed = `${base}_${SUFFIX[cand.location] ?? 'value'}`;
    const name = taken.has(base) && !taken.has(suffixed) ? uniqueName(suffixed, taken) : uniqueName(base, taken);
    const isPath = cand.location === ParameterLocation.PARAMETER_LOCATION_PATH;
    if (isPath) placeholders.set(cand.raw, name);
    if (cand.example !== undefined) examples.set(name, cand.example);
    const { example: _example, ...fields } = cand.draft;
    return {
      name,
      ...fields,
      required: cand.required,
      location: cand.location,
      // A path value fills the placeholder of the same name, which the template is given.
      wireName: isPath || name === cand.wire ? '' : cand.wire,
      // An imported parameter is the model's to fill; call state is wired up by the integrator.
      from: '',
    } satisfies Parameter;
  });
  return { parameters, placeholders, examples };
}

/** Keeps every required parameter and as many optional ones as the limit allows. */
function withinLimit(candidates: Candidate[], skipped: { what: string; why: string }[]): Candidate[] {
  if (candidates.length <= MAX_PARAMETERS) return candidates;
  const required = candidates.filter((c) => c.required);
  if (required.length > MAX_PARAMETERS) throw new CannotTranslate(`it has ${required.length} required parameters; an integration holds at most ${MAX_PARAMETERS}`);
  const room = MAX_PARAMETERS - required.length;
  const optional = candidates.filter((c) => !c.required);
  for (const c of optional.slice(room)) skipped.push({ what: `parameter ${c.wire}`, why: `an integration holds at most ${MAX_PARAMETERS} parameters` });
  const kept = new Set([...required, ...optional.slice(0, room)]);
  return candidates.filter((c) => kept.has(c));
}

function nameAndDescription(input: OperationInput, notes: string[]): { name: string; description: string } {
  const summary = oneLine(stringAt(input.operation, 'summary') ?? '');
  const details = oneLine(stringAt(input.operation, 'description') ?? '');
  const fallback = humanise(stringAt(input.operation, 'operationId') ?? `${input.method} ${input.path}`);
  const name = truncate((summary === '' ? fallback : summary).replace(/[.\s]+$/, ''), MAX_NAME_LENGTH);
  if (name.cut) notes.push('its summary was cut to fit the name limit');
  let text: string;
  if (summary !== '' && details !== '') text = details.startsWith(summary) ? details : `${summary}${/[.!?]$/.test(summary) ? '' : '.'} ${details}`;
  else text = summary === '' ? details : summary;
  if (text === '') {
    text = `${input.method.toUpperCase()} ${input.path}.`;
    notes.push('has no summary or description: write one, the model reads it to decide when to use the tool');
  }
  const description = truncate(text, MAX_DESCRIPTION_LENGTH);
  if (description.cut) notes.push(`its description was cut to ${MAX_DESCRIPTION_LENGTH} characters`);
  return { name: name.text, description: description.text };
}

function sampleArguments(parameters: readonly Parameter[], examples: ReadonlyMap<string, unknown>): Record<string, unknown> | undefined {
  const sample: Record<string, unknown> = {};
  for (const p of parameters) {
    const value: unknown = examples.get(p.name) ?? p.defaultValue;
    if (value !== undefined) sample[p.name] = value;
    else if (p.required) return undefined;
  }
  return Object.keys(sample).length === 0 ? undefined : sample;
}

/** Words for a credential id from the API's title: `DrChrono EHR REST API` -> `drchrono-ehr-token`. */
function titleCredentialId(doc: JsonObject, suffix: string): string {
  const title = stringAt(objectAt(doc, 'info') ?? {}, 'title') ?? '';
  const kept = words(title).filter((w) => !['api', 'rest', 'the', 'v1', 'v2', 'v3'].includes(w)).slice(0, 3);
  return credentialId([...kept, suffix].join(' '));
}

/** The header or query parameters that carry a credential: `Authorization` means bearer, `X-API-Key` an API key. */
function credentialFromParameters(input: OperationInput): ChosenAuth | undefined {
  for (const p of mergedParameters(input.pathItem, input.operation)) {
    const where = stringAt(p, 'in') ?? '';
    const name = stringAt(p, 'name') ?? '';
    const kind = credentialParameter(where, name);
    if (kind === 'bearer') {
      const chosen = chosenAuth({ kind: 'bearer' }, titleCredentialId(input.doc, 'token'));
      return { ...chosen, notes: [`its ${name} header parameter is read as bearer auth (credential ${chosen.credential?.id ?? ''}), not as a parameter the model fills`] };
    }
    if (kind === 'api_key') {
      const chosen = chosenAuth({ kind: 'api_key', in: where === 'query' ? 'query' : 'header', name }, titleCredentialId(input.doc, 'key'));
      return { ...chosen, notes: [`its ${where} parameter ${name} is read as an API key (credential ${chosen.credential?.id ?? ''}), not as a parameter the model fills`] };
    }
  }
  return undefined;
}

/** Whether the operation looks as if it needs credentials: the document defines schemes, or it answers 401/403. */
function looksAuthenticated(input: OperationInput): boolean {
  const responses = objectAt(input.operation, 'responses') ?? {};
  if (Object.hasOwn(responses, '401') || Object.hasOwn(responses, '403')) return true;
  return Object.keys(objectAt(objectAt(input.doc, 'components') ?? {}, 'securitySchemes') ?? {}).length > 0;
}

/**
 * The operation's auth: the integrator's choice when given; else the document's security; else a
 * credential header or query parameter. An operation whose security cannot be sent is refused with
 * the fix; one imported without auth though it looks authenticated gets a warning.
 */
function operationAuth(input: OperationInput): ChosenAuth {
  const { operation, doc } = input;
  const choice = input.auth;
  if (choice !== undefined && choice.kind !== 'document') return chosenAuth(choice, titleCredentialId(doc, choice.kind === 'bearer' ? 'token' : 'key'));
  const requirements = arrayAt(operation, 'security') ?? arrayAt(doc, 'security');
  const fromDocument = chooseAuth(requirements, objectAt(objectAt(doc, 'components') ?? {}, 'securitySchemes'), input.base);
  let chosen: ChosenAuth;
  if (!fromDocument.ok) {
    const fromParameters = credentialFromParameters(input);
    if (fromParameters === undefined) {
      throw new CannotTranslate(`its security cannot be sent (${fromDocument.why}): choose the auth with --auth (bearer, basic, api_key or oauth2_client)`);
    }
    chosen = { ...fromParameters, notes: [...fromParameters.notes, `the document's security cannot be sent (${fromDocument.why})`] };
  } else if (fromDocument.value.auth === undefined && fromDocument.value.credential === undefined) {
    const declaredOpen = Array.isArray(operation['security']) && (operation['security'] as unknown[]).length === 0;
    chosen = credentialFromParameters(input) ?? fromDocument.value;
    if (chosen.auth === undefined && !declaredOpen && looksAuthenticated(input)) {
      chosen = { ...chosen, notes: [...chosen.notes, 'WARNING: imported without auth, but the document defines security schemes or the operation answers 401/403: check it, or import with --auth'] };
    }
  } else {
    chosen = fromDocument.value;
  }
  return choice?.kind === 'document' ? renameCredential(chosen, choice.credentialId) : chosen;
}

/**
 * One operation as one integration definition, valid by validateIntegration. Throws
 * CannotTranslate with the reason when the operation cannot be made valid; parts left out
 * (optional parameters, callbacks, unused auth alternatives) come back in `skipped`.
 */
export function translateOperation(input: OperationInput): TranslatedOperation {
  const { operation } = input;
  const method = HTTP_METHODS[input.method];
  if (method === undefined) throw new CannotTranslate(`${input.method.toUpperCase()} is not a method Switchboard sends (GET, POST, PUT, PATCH, DELETE)`);
  const c = new Collector();
  const chosen = operationAuth(input);
  const { auth, credential } = chosen;
  c.skipped.push(...chosen.unused);
  c.notes.push(...chosen.notes);

  for (const p of mergedParameters(input.pathItem, operation)) translateParameter(p, auth, c);
  const requestBody = objectAt(operation, 'requestBody');
  const brokenBody = unresolvedRef(requestBody);
  if (brokenBody !== undefined) throw new CannotTranslate(`its request body refers to ${brokenBody}, which cannot be followed`);
  const body = translateBody(requestBody);
  if (!body.ok) throw new CannotTranslate(body.why);
  c.skipped.push(...body.value.skipped);
  c.notes.push(...body.value.notes);
  for (const field of body.value.fields) {
    const example = bodyExampleAt(requestBody, field.wireName);
    c.candidates.push({
      raw: field.wireName,
      location: ParameterLocation.PARAMETER_LOCATION_BODY,
      required: field.required,
      draft: field.draft,
      example: validExample(field.draft, example) ? example : field.draft.example,
      wire: field.wireName,
    });
  }
  const hasBody = body.value.fields.length > 0 || body.value.fixed.length > 0;
  const bodyless = method === HttpMethod.HTTP_METHOD_GET || method === HttpMethod.HTTP_METHOD_DELETE;
  if (hasBody && bodyless) c.notes.push(`a ${input.method.toUpperCase()} with a body: allow_body_on_any_method is set`);

  for (const [name] of objectEntries(objectAt(operation, 'callbacks'))) {
    c.skipped.push({ what: `callback ${name}`, why: 'a callback is a request the API sends back later; Switchboard only makes calls' });
  }
  if (operation['deprecated'] === true) c.notes.push('is deprecated in the document');

  const order = [ParameterLocation.PARAMETER_LOCATION_PATH, ParameterLocation.PARAMETER_LOCATION_QUERY, ParameterLocation.PARAMETER_LOCATION_HEADER, ParameterLocation.PARAMETER_LOCATION_BODY];
  const sorted = order
    .flatMap((loc) => c.candidates.filter((cand) => cand.location === loc))
    .map((cand) => ({ ...cand, draft: withSensitivity(cand.wire, cand.draft, c.notes) }));
  const { parameters, placeholders, examples } = nameCandidates(withinLimit(sorted, c.skipped));
  let path = input.path;
  for (const [placeholder, value] of c.pathConstants) path = path.replaceAll(`{${placeholder}}`, value);
  const template = urlTemplate(input.base, path, (placeholder) => placeholders.get(placeholder) ?? placeholder);
  const { name, description } = nameAndDescription(input, c.notes);
  const fixedValues: FixedValue[] = [
    ...c.fixed,
    ...body.value.fixed.map((f) => ({ name: f.wireName, location: ParameterLocation.PARAMETER_LOCATION_BODY, value: f.value })),
    ...(body.value.contentType === undefined || !hasBody ? [] : [{ name: 'Content-Type', location: ParameterLocation.PARAMETER_LOCATION_HEADER, value: body.value.contentType }]),
  ];
  const suggestion = suggestBurden({
    method,
    name,
    words: words([stringAt(operation, 'operationId') ?? '', stringAt(operation, 'summary') ?? '', input.path].join(' ')).join(' '),
    parameters,
  });
  c.notes.push(`burden level ${suggestion.why}: review it`);

  const integration = Integration.fromPartial({
    key: input.key,
    name,
    description,
    enabled: true,
    method,
    urlTemplate: template,
    parameters,
    fixedValues,
    auth,
    burden: suggestion.burden,
    bodyEncoding: body.value.encoding,
    allowBodyOnAnyMethod: hasBody && bodyless,
    sampleArguments: sampleArguments(parameters, examples),
  });
  let problems = validateIntegration(integration);
  if (problems.length > 0 && integration.sampleArguments !== undefined) {
    // Examples are a convenience: a definition is still useful without them.
    integration.sampleArguments = undefined;
    problems = validateIntegration(integration);
  }
  if (problems.length > 0) throw new CannotTranslate(`the definition it becomes is not valid: ${describeFieldProblems(problems)}`);
  return { integration, credential, skipped: c.skipped, notes: c.notes };
}
