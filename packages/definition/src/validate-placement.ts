import {
  ApiKeyPlacement,
  AuthType,
  HttpMethod,
  ParameterLocation,
  type Integration,
} from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { HTTP_METHOD_NAMES, PARAMETER_LOCATION_NAMES, enumNameOf } from './enum-names.js';
import { headerNameProblem } from './header-name.js';
import type { UrlTemplate } from './url-template.js';

/** The API key header when the definition names none. */
export const DEFAULT_API_KEY_NAME = 'X-API-Key';

/** One name on the wire and who claims it. */
interface Slot {
  readonly location: ParameterLocation;
  readonly wire: string;
  /** The field that holds the wire name, e.g. `parameters[2].wire_name`. */
  readonly field: string;
  /** The field that holds the location, for placement problems. */
  readonly locationField: string;
  /** Who claims it, for "already used by ..." messages. */
  readonly owner: string;
}

function authSetsAuthorization(type: AuthType): boolean {
  return (
    type === AuthType.AUTH_TYPE_BEARER ||
    type === AuthType.AUTH_TYPE_BASIC ||
    type === AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS ||
    type === AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN
  );
}

function isKnownLocation(location: ParameterLocation): boolean {
  return location >= ParameterLocation.PARAMETER_LOCATION_PATH && location <= ParameterLocation.PARAMETER_LOCATION_BODY;
}

/**
 * Every name the request will carry, in an order that puts the ones Switchboard adds itself (auth,
 * idempotency) first, so that a clash is reported on the parameter or value the integrator can rename.
 */
function collectSlots(integration: Integration): Slot[] {
  const slots: Slot[] = [];
  const auth = integration.auth;
  if (auth !== undefined) {
    if (authSetsAuthorization(auth.type)) {
      slots.push({ location: ParameterLocation.PARAMETER_LOCATION_HEADER, wire: 'Authorization', field: 'auth.type', locationField: 'auth.type', owner: 'auth' });
    }
    if (auth.type === AuthType.AUTH_TYPE_API_KEY) {
      const inQuery = auth.apiKeyIn === ApiKeyPlacement.API_KEY_PLACEMENT_QUERY;
      slots.push({
        location: inQuery ? ParameterLocation.PARAMETER_LOCATION_QUERY : ParameterLocation.PARAMETER_LOCATION_HEADER,
        wire: auth.apiKeyName === '' ? DEFAULT_API_KEY_NAME : auth.apiKeyName,
        field: 'auth.api_key_name',
        locationField: 'auth.api_key_in',
        owner: 'auth.api_key_name',
      });
    }
  }
  const idempotency = integration.retry?.idempotencyKeyHeader ?? '';
  if (idempotency !== '') {
    slots.push({ location: ParameterLocation.PARAMETER_LOCATION_HEADER, wire: idempotency, field: 'retry.idempotency_key_header', locationField: 'retry.idempotency_key_header', owner: 'retry.idempotency_key_header' });
  }
  integration.parameters.forEach((p, i) => {
    if (!isKnownLocation(p.location) || (p.wireName === '' && p.name === '')) return;
    const owner = `parameters[${i}]`;
    slots.push({
      location: p.location,
      wire: p.wireName === '' ? p.name : p.wireName,
      field: `${owner}.${p.wireName === '' ? 'name' : 'wire_name'}`,
      locationField: `${owner}.location`,
      owner,
    });
  });
  integration.fixedValues.forEach((v, i) => {
    if (!isKnownLocation(v.location) || v.name === '') return;
    const owner = `fixed_values[${i}]`;
    slots.push({ location: v.location, wire: v.name, field: `${owner}.name`, locationField: `${owner}.location`, owner });
  });
  integration.contextValues.forEach((v, i) => {
    if (!isKnownLocation(v.location) || v.name === '') return;
    const owner = `context_values[${i}]`;
    slots.push({ location: v.location, wire: v.name, field: `${owner}.name`, locationField: `${owner}.location`, owner });
  });
  return slots;
}

function checkUnique(slots: readonly Slot[], problems: FieldProblem[]): void {
  const seen = new Map<string, Slot>();
  for (const slot of slots) {
    // Header names are case-insensitive (RFC 9110); query names and body paths are not.
    const key = `${slot.location}:${slot.location === ParameterLocation.PARAMETER_LOCATION_HEADER ? slot.wire.toLowerCase() : slot.wire}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, slot);
      continue;
    }
    const where = enumNameOf(PARAMETER_LOCATION_NAMES, slot.location) ?? 'this location';
    problems.push({ field: slot.field, message: `"${slot.wire}" in ${where} is already used by ${first.owner}` });
  }
}

function checkHeaders(slots: readonly Slot[], problems: FieldProblem[]): void {
  for (const slot of slots) {
    if (slot.location !== ParameterLocation.PARAMETER_LOCATION_HEADER || slot.owner === 'auth') continue;
    const problem = headerNameProblem(slot.wire);
    if (problem !== undefined) problems.push({ field: slot.field, message: problem });
  }
}

function checkBody(integration: Integration, slots: readonly Slot[], problems: FieldProblem[]): void {
  const body = slots.filter((s) => s.location === ParameterLocation.PARAMETER_LOCATION_BODY);
  const bodyless = integration.method === HttpMethod.HTTP_METHOD_GET || integration.method === HttpMethod.HTTP_METHOD_DELETE;
  if (bodyless && !integration.allowBodyOnAnyMethod) {
    const method = enumNameOf(HTTP_METHOD_NAMES, integration.method) ?? 'this';
    for (const slot of body) {
      problems.push({
        field: slot.locationField,
        message: `a ${method} request takes no body: place it in the query, or set allow_body_on_any_method`,
      });
    }
  }
  for (const slot of body) {
    if (slot.wire.split('.').some((segment) => segment === '')) {
      problems.push({ field: slot.field, message: 'must be a dotted path such as patient.name, without empty segments' });
    }
  }
  // a.b and a.b.c would need a.b to be both a value and an object.
  body.forEach((slot, i) => {
    const clash = body.slice(0, i).find((other) => other.wire.startsWith(`${slot.wire}.`) || slot.wire.startsWith(`${other.wire}.`));
    if (clash !== undefined) {
      problems.push({
        field: slot.field,
        message: `"${slot.wire}" conflicts with "${clash.wire}" (${clash.owner}): a body path cannot be both a value and an object`,
      });
    }
  });
}

function checkPlaceholders(template: UrlTemplate, slots: readonly Slot[], problems: FieldProblem[]): void {
  const groups = [
    { location: ParameterLocation.PARAMETER_LOCATION_PATH, placeholders: template.pathPlaceholders, part: 'path' },
    { location: ParameterLocation.PARAMETER_LOCATION_QUERY, placeholders: template.queryPlaceholders, part: 'query' },
  ];
  for (const { location, placeholders, part } of groups) {
    const where = enumNameOf(PARAMETER_LOCATION_NAMES, location) ?? part;
    for (const name of placeholders) {
      if (slots.some((s) => s.location === location && s.wire === name)) continue;
      const elsewhere = slots.find((s) => s.wire === name);
      const hint = elsewhere === undefined ? '' : ` (${elsewhere.owner} is placed in ${enumNameOf(PARAMETER_LOCATION_NAMES, elsewhere.location) ?? 'another location'})`;
      problems.push({
        field: 'url_template',
        message: `placeholder {${name}} in the ${part} has no ${where} parameter, fixed value or context value named "${name}"${hint}`,
      });
    }
  }
  // Query values without a placeholder are appended as name=value pairs; path values have nowhere to go.
  for (const slot of slots) {
    if (slot.location === ParameterLocation.PARAMETER_LOCATION_PATH && !template.pathPlaceholders.has(slot.wire)) {
      problems.push({ field: slot.field, message: `is placed in the path but the URL template's path has no {${slot.wire}} placeholder` });
    }
  }
}

/**
 * Checks where every value goes on the wire: one owner per placeholder and per name at each
 * location, valid header names, no body where the method takes none, body paths that nest cleanly.
 * `template` is undefined when the URL template did not parse (placeholder checks are then skipped).
 */
export function validatePlacement(integration: Integration, template: UrlTemplate | undefined, problems: FieldProblem[]): void {
  const slots = collectSlots(integration);
  checkUnique(slots, problems);
  checkHeaders(slots, problems);
  checkBody(integration, slots, problems);
  if (template !== undefined) checkPlaceholders(template, slots, problems);
}
