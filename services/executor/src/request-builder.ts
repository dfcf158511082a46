import { BodyEncoding, ParameterLocation, type Integration } from '@switchboard/contracts';
import {
  expandUrlTemplate,
  headerValueProblem,
  isClientOwnedHeader,
  isHeaderToken,
  parseUrlTemplate,
  SharedByText,
  type UrlTemplate,
} from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import type { PlacedValue } from './arguments.js';
import { methodName, type HttpMethodName } from './http-method.js';
import type { OutboundRequest } from './outbound-request.js';

export interface BuildRequestOptions {
  /** Live calls only: the Test button sends none of the three correlation headers. */
  readonly correlation?: { readonly callId?: string; readonly orgId: string; readonly toolKey: string };
  readonly requestId: string;
  readonly traceparent?: string;
}

/** The part of a definition the builder needs, derived once per Integration object. */
interface RequestShape {
  readonly template: UrlTemplate;
  readonly method: HttpMethodName;
  /** GET and DELETE carry no body unless the definition allows it. */
  readonly bodyAllowed: boolean;
  /** Where a value with no location goes when it is not a placeholder. */
  readonly defaultLocation: ParameterLocation;
  readonly form: boolean;
}

const shapes = new WeakMap<Integration, RequestShape>();

/** By the four fields a shape reads (SharedByText): a definition decoded again builds nothing. */
const sharedShapes = new SharedByText<RequestShape>(4_096);

function requestShape(integration: Integration): RequestShape {
  let shape = shapes.get(integration);
  if (shape !== undefined) return shape;
  const { method, allowBodyOnAnyMethod, bodyEncoding, urlTemplate } = integration;
  shape = sharedShapes.get(`${method} ${allowBodyOnAnyMethod} ${bodyEncoding} ${urlTemplate}`, () => {
    const name = methodName(method);
    const natural = name === 'POST' || name === 'PUT' || name === 'PATCH';
    return Object.freeze({
      template: parseUrlTemplate(urlTemplate),
      method: name,
      bodyAllowed: natural || allowBodyOnAnyMethod,
      defaultLocation: natural ? ParameterLocation.PARAMETER_LOCATION_BODY : ParameterLocation.PARAMETER_LOCATION_QUERY,
      form: bodyEncoding === BodyEncoding.BODY_ENCODING_FORM,
    });
  });
  shapes.set(integration, shape);
  return shape;
}

const REDACTED = '[REDACTED]';
// A UTF-16 half without its partner: encodeURIComponent throws on it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Builds the request a definition describes from placed values. The origin comes only from the URL
 * template: path values are percent-encoded into their own segment, query values into their own
 * component, so no value can change the host, leave its segment or add a query parameter.
 *
 * Bodies: JSON by default, composed from dotted wire names (`patient.name` -> {"patient":{"name":…}});
 * with form encoding the same object is flattened back into dotted names (`patient.name=Ann`), arrays
 * repeat their key (`tags=a&tags=b`), objects inside arrays are sent as JSON text and null as an
 * empty value.
 */
export function buildRequest(integration: Integration, placed: readonly PlacedValue[], options: BuildRequestOptions): OutboundRequest {
  const shape = requestShape(integration);
  const { template } = shape;
  const templateValues: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let sensitiveTemplate = false;
  const query: [string, string][] = [];
  const placedHeaders: [string, string][] = [];
  const bodyValues: PlacedValue[] = [];
  const secretHeaders = new Set<string>();
  const secretQuery = new Set<string>();

  for (const pv of placed) {
    let location = pv.location;
    const isPlaceholder = template.pathPlaceholders.has(pv.wireName) || template.queryPlaceholders.has(pv.wireName);
    if (location === ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED) {
      location = isPlaceholder ? ParameterLocation.PARAMETER_LOCATION_PATH : shape.defaultLocation;
    }
    switch (location) {
      case ParameterLocation.PARAMETER_LOCATION_PATH:
      case ParameterLocation.PARAMETER_LOCATION_QUERY:
        if (isPlaceholder) {
          checkTemplateValue(template, pv);
          templateValues[pv.wireName] = pv.value;
          sensitiveTemplate ||= pv.sensitive;
        } else if (location === ParameterLocation.PARAMETER_LOCATION_QUERY) {
          for (const text of queryTexts(pv)) query.push([pv.wireName, text]);
          if (pv.sensitive) secretQuery.add(pv.wireName);
        } else {
          throw new SwitchboardError(
            'INVALID_DEFINITION',
            `path value ${pv.wireName} has no {${pv.wireName}} placeholder in the URL template`,
          );
        }
        break;
      case ParameterLocation.PARAMETER_LOCATION_HEADER: {
        const name = headerName(pv.wireName);
        const value = headerText(pv);
        if (value === undefined) break;
        placedHeaders.push([name, value]);
        if (pv.sensitive) secretHeaders.add(name);
        break;
      }
      case ParameterLocation.PARAMETER_LOCATION_BODY:
        bodyValues.push(pv);
        break;
      default:
        throw new SwitchboardError('INVALID_DEFINITION', `value ${pv.wireName} has an unknown location`);
    }
  }

  const path = expandUrlTemplate(template, templateValues);
  // A template path starting with "//" or "/\" would be read as a new host by URL resolution.
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) {
    throw new SwitchboardError('INVALID_DEFINITION', 'the URL template path must start with a single "/"');
  }

  const headers: Record<string, string> = {};
  setOwn(headers, 'accept', 'application/json');
  for (const [name, value] of placedHeaders) setOwn(headers, name, value);

  let body: string | undefined;
  if (bodyValues.length > 0) {
    if (!shape.bodyAllowed) {
      throw new SwitchboardError(
        'INVALID_DEFINITION',
        `a ${shape.method} request carries no body unless allow_body_on_any_method is set (body value ${bodyValues[0]?.wireName ?? ''})`,
      );
    }
    const composed = composeBody(bodyValues);
    body = shape.form ? formEncode(composed) : JSON.stringify(composed);
    // A content type the definition placed itself (e.g. application/vnd.api+json) is kept.
    if (!Object.hasOwn(headers, 'content-type')) {
      setOwn(headers, 'content-type', shape.form ? 'application/x-www-form-urlencoded' : 'application/json');
    }
  }

  // System headers come last so that no placed value can forge them.
  setOwn(headers, 'x-request-id', systemHeader('x-request-id', options.requestId));
  if (options.traceparent !== undefined && TRACEPARENT.test(options.traceparent)) {
    // W3C Trace Context: an unparsable traceparent is dropped, not forwarded.
    setOwn(headers, 'traceparent', options.traceparent);
  }
  const correlation = options.correlation;
  if (correlation !== undefined) {
    setOwn(headers, 'x-allison-org-id', systemHeader('x-allison-org-id', correlation.orgId));
    setOwn(headers, 'x-allison-tool-key', systemHeader('x-allison-tool-key', correlation.toolKey));
    if (correlation.callId !== undefined && correlation.callId !== '') {
      setOwn(headers, 'x-allison-call-id', systemHeader('x-allison-call-id', correlation.callId));
    }
  }

  const req: OutboundRequest = {
    method: shape.method,
    origin: template.origin,
    path,
    query,
    headers,
    body,
    secretHeaders,
    secretQuery,
  };
  if (sensitiveTemplate) req.redactedPath = redactedTemplatePath(template, placed, templateValues);
  return req;
}

function redactedTemplatePath(
  template: UrlTemplate,
  placed: readonly PlacedValue[],
  values: Record<string, unknown>,
): string {
  const redacted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  Object.assign(redacted, values);
  for (const pv of placed) if (pv.sensitive && pv.wireName in values) redacted[pv.wireName] = REDACTED;
  // The marker is shown as written rather than percent-encoded, so the Test output reads plainly.
  return expandUrlTemplate(template, redacted).replaceAll('%5BREDACTED%5D', REDACTED);
}

function invalidArgument(field: string, message: string): SwitchboardError {
  return new SwitchboardError('INVALID_ARGUMENTS', `${field} ${message}`, {
    fieldErrors: [{ field, message: `${field} ${message}` }],
  });
}

function checkTemplateValue(template: UrlTemplate, pv: PlacedValue): void {
  if (typeof pv.value !== 'string') return;
  if (LONE_SURROGATE.test(pv.value)) throw invalidArgument(pv.field, 'contains characters that cannot be put in a URL');
  // WHATWG URL treats "%2E%2E" exactly like "..": a dot segment cannot be sent faithfully, only refused.
  if (template.pathPlaceholders.has(pv.wireName) && (pv.value === '.' || pv.value === '..')) {
    throw invalidArgument(pv.field, 'must not be "." or ".."');
  }
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

function queryTexts(pv: PlacedValue): string[] {
  const { value } = pv;
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  const texts: string[] = [];
  for (const item of items) {
    if (item === undefined || item === null) continue;
    const text = scalarText(item);
    if (LONE_SURROGATE.test(text)) throw invalidArgument(pv.field, 'contains characters that cannot be put in a URL');
    texts.push(text);
  }
  return texts;
}

function headerName(wireName: string): string {
  const name = wireName.toLowerCase();
  if (!isHeaderToken(name)) {
    throw new SwitchboardError('INVALID_DEFINITION', `header name ${JSON.stringify(wireName.slice(0, 64))} is not a valid HTTP header name`);
  }
  if (isClientOwnedHeader(name)) {
    throw new SwitchboardError('INVALID_DEFINITION', `header ${name} is managed by the HTTP client and cannot be set by a definition`);
  }
  return name;
}

function headerText(pv: PlacedValue): string | undefined {
  const { value } = pv;
  if (value === undefined || value === null) return undefined;
  const text = Array.isArray(value) ? (value as unknown[]).map(scalarText).join(', ') : scalarText(value);
  const problem = headerValueProblem(text);
  if (problem === undefined) return text;
  // A definition's own header values are refused when it is saved (validate-trusted-values.ts): this is an argument.
  throw invalidArgument(pv.field, problem);
}

function systemHeader(name: string, value: string): string {
  if (headerValueProblem(value) !== undefined) {
    throw new SwitchboardError('INVALID_CONTEXT', `${name} holds characters that are not allowed in a header`);
  }
  return value;
}

type BodyObject = Record<string, unknown>;

/**
 * Composes the body object from dotted wire names. Objects the builder made (or copied) may be
 * merged into; an argument's own object is copied before a nested value is added, never changed.
 */
function composeBody(values: readonly PlacedValue[]): BodyObject {
  const root: BodyObject = {};
  const owned = new WeakSet<object>([root]);
  for (const pv of values) {
    const segments = pv.wireName.split('.');
    let current = root;
    for (let i = 0; i < segments.length - 1; i += 1) {
      const segment = segments[i] as string;
      const existing = Object.hasOwn(current, segment) ? current[segment] : undefined;
      let next: BodyObject;
      if (existing === undefined) {
        next = {};
      } else if (typeof existing === 'object' && existing !== null && owned.has(existing)) {
        next = existing as BodyObject;
      } else if (isPlainObject(existing)) {
        next = copyObject(existing);
      } else {
        throw overlap(pv.wireName);
      }
      owned.add(next);
      setOwn(current, segment, next);
      current = next;
    }
    const last = segments[segments.length - 1] as string;
    const existing = Object.hasOwn(current, last) ? current[last] : undefined;
    const value = pv.value === undefined ? null : pv.value;
    if (typeof existing === 'object' && existing !== null && owned.has(existing)) {
      // Nested fields were placed first ("patient.id"), now the object itself ("patient"): merge them.
      if (!isPlainObject(value)) throw overlap(pv.wireName);
      for (const key of Object.keys(value)) setOwn(existing as BodyObject, key, value[key]);
    } else {
      setOwn(current, last, value);
    }
  }
  return root;
}

function overlap(wireName: string): SwitchboardError {
  return new SwitchboardError('INVALID_DEFINITION', `body field ${wireName} overlaps another body field that is not an object`);
}

function copyObject(source: BodyObject): BodyObject {
  const copy: BodyObject = {};
  for (const key of Object.keys(source)) setOwn(copy, key, source[key]);
  return copy;
}

function formEncode(body: BodyObject): string {
  const form = new URLSearchParams();
  const add = (name: string, value: unknown): void => {
    if (value === undefined) return;
    if (value === null) form.append(name, '');
    else if (Array.isArray(value)) {
      for (const item of value as unknown[]) form.append(name, item === null || item === undefined ? '' : scalarText(item));
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) add(`${name}.${key}`, value[key]);
    } else form.append(name, scalarText(value));
  };
  for (const key of Object.keys(body)) add(key, body[key]);
  return form.toString();
}

function isPlainObject(value: unknown): value is BodyObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
