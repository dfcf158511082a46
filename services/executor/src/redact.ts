import { ContextField, ParameterLocation, type Integration } from '@switchboard/contracts';
import type { HttpMethodName } from './http-method.js';
import type { OutboundRequest } from './outbound-request.js';
import { SIGNATURE_HEADER } from './signing.js';

export const REDACTED = '[REDACTED]';

/** The request as shown by the Test button and kept in the audit: nothing secret left in it. */
export interface RedactedRequest {
  readonly method: HttpMethodName;
  readonly url: string;
  readonly headers: { readonly name: string; readonly value: string }[];
  readonly body: string;
}

// Hidden even when no step listed them: a credential here must never reach the Test output, and a
// signature kept beside its method, URL, timestamp and body could be replayed within the window.
const ALWAYS_SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', SIGNATURE_HEADER]);

/**
 * Redacts a built request: headers and query parameters listed as secret, the values of sensitive
 * path and template-query placeholders (via `redactedPath`), and the body fields named in
 * `sensitiveBodyKeys` (dotted wire names, see `sensitiveBodyKeys()`), in JSON and form bodies alike.
 * A body that cannot be read while it should be redacted is hidden whole.
 */
export function redactRequest(req: OutboundRequest, sensitiveBodyKeys?: ReadonlySet<string>): RedactedRequest {
  const secretHeaders = new Set<string>();
  for (const name of req.secretHeaders) secretHeaders.add(name.toLowerCase());
  const headers = Object.keys(req.headers).map((name) => {
    const lower = name.toLowerCase();
    const secret = secretHeaders.has(lower) || ALWAYS_SECRET_HEADERS.has(lower);
    return { name, value: secret ? REDACTED : (req.headers[name] ?? '') };
  });
  return {
    method: req.method,
    url: req.origin + redactedTarget(req),
    headers,
    body: redactBody(req, sensitiveBodyKeys),
  };
}

function redactedTarget(req: OutboundRequest): string {
  const path = req.redactedPath ?? req.path;
  const mark = path.indexOf('?');
  let target = path;
  if (mark !== -1 && req.secretQuery.size > 0) {
    // The template's own query could carry a secret name too, e.g. when an API key shares its name.
    const pairs = path.slice(mark + 1).split('&').map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return req.secretQuery.has(decodeName(name)) ? `${name}=${REDACTED}` : pair;
    });
    target = `${path.slice(0, mark)}?${pairs.join('&')}`;
  }
  if (req.query.length === 0) return target;
  let qs = '';
  for (const [name, value] of req.query) {
    const shown = req.secretQuery.has(name) ? REDACTED : encodeURIComponent(value);
    qs += `${qs.length === 0 ? '' : '&'}${encodeURIComponent(name)}=${shown}`;
  }
  return `${target}${target.includes('?') ? '&' : '?'}${qs}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

function redactBody(req: OutboundRequest, keys: ReadonlySet<string> | undefined): string {
  const body = req.body;
  if (body === undefined) return '';
  if (keys === undefined || keys.size === 0) return body;
  const contentType = Object.hasOwn(req.headers, 'content-type') ? (req.headers['content-type'] ?? '') : '';
  if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return redactForm(body, keys);
  try {
    const parsed: unknown = JSON.parse(body);
    redactJson(parsed, keys);
    return JSON.stringify(parsed);
  } catch {
    return REDACTED;
  }
}

function redactJson(root: unknown, keys: ReadonlySet<string>): void {
  for (const key of keys) {
    const segments = key.split('.');
    let current: unknown = root;
    for (let i = 0; i < segments.length - 1 && isObject(current); i += 1) {
      const segment = segments[i] as string;
      current = Object.hasOwn(current, segment) ? current[segment] : undefined;
    }
    const last = segments[segments.length - 1] as string;
    if (isObject(current) && Object.hasOwn(current, last)) {
      Object.defineProperty(current, last, { value: REDACTED, enumerable: true, writable: true, configurable: true });
    }
  }
}

function redactForm(body: string, keys: ReadonlySet<string>): string {
  const form = new URLSearchParams(body);
  const out = new URLSearchParams();
  for (const [name, value] of form) out.append(name, isSensitiveFormName(name, keys) ? REDACTED : value);
  return out.toString().replaceAll('%5BREDACTED%5D', REDACTED);
}

/** Form bodies flatten objects into dotted names, so `card.number` is covered by a sensitive `card`. */
function isSensitiveFormName(name: string, keys: ReadonlySet<string>): boolean {
  if (keys.has(name)) return true;
  for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
    if (keys.has(name.slice(0, dot))) return true;
  }
  return false;
}

interface SensitiveNames {
  readonly arguments: ReadonlySet<string>;
  readonly bodyKeys: ReadonlySet<string>;
}

const sensitiveNames = new WeakMap<Integration, SensitiveNames>();

function namesFor(integration: Integration): SensitiveNames {
  let names = sensitiveNames.get(integration);
  if (names !== undefined) return names;
  const args = new Set<string>();
  const bodyKeys = new Set<string>();
  for (const param of integration.parameters) {
    if (!param.sensitive) continue;
    args.add(param.name);
    // An unplaced parameter may land in the body (POST, PUT, PATCH): redact it there to be safe.
    if (param.location === ParameterLocation.PARAMETER_LOCATION_BODY || param.location === ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED) {
      bodyKeys.add(param.wireName || param.name);
    }
  }
  for (const context of integration.contextValues) {
    if (context.source === ContextField.CONTEXT_FIELD_CALLER_NUMBER && context.location === ParameterLocation.PARAMETER_LOCATION_BODY) {
      bodyKeys.add(context.name);
    }
  }
  names = { arguments: args, bodyKeys };
  sensitiveNames.set(integration, names);
  return names;
}

/** The dotted body names to pass to `redactRequest`: sensitive parameters and the caller's number. */
export function sensitiveBodyKeys(integration: Integration): ReadonlySet<string> {
  return namesFor(integration).bodyKeys;
}

/** A copy of the arguments with the values of sensitive parameters replaced by "[REDACTED]". */
export function redactArguments(integration: Integration, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const sensitive = namesFor(integration).arguments;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(values)) {
    Object.defineProperty(copy, key, {
      value: sensitive.has(key) ? REDACTED : values[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
