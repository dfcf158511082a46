import { SwitchboardError } from '@switchboard/errors';
import { SharedByText } from './shared-by-text.js';

/** A literal run of the template or a `{placeholder}`. */
export type TemplatePart = { readonly literal: string } | { readonly placeholder: string };

/**
 * A parsed URL template. The origin (scheme, host, port) is fixed by the integrator and can never be
 * changed by a value: placeholders may stand only in the path and the query.
 */
export interface UrlTemplate {
  readonly source: string;
  /** `https://api.example.com:8443`: no placeholders, no trailing slash. */
  readonly origin: string;
  /** The path part, starting with `/`. */
  readonly path: readonly TemplatePart[];
  /** The template's own query string (after `?`), if it has one. */
  readonly query: readonly TemplatePart[];
  /** Placeholder names in the order they first appear. */
  readonly placeholders: readonly string[];
  readonly pathPlaceholders: ReadonlySet<string>;
  readonly queryPlaceholders: ReadonlySet<string>;
}

export class UrlTemplateError extends SwitchboardError {
  constructor(message: string) {
    super('INVALID_URL_TEMPLATE', message);
  }
}

const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A backslash ends the host for WHATWG URL parsing (`https://a.com\@b.com` is host a.com), so it may not
// appear there: the origin must be exactly what the integrator reads.
const ORIGIN = /^(https?):\/\/([^/?#{}\\]+)/i;

function parseParts(text: string, where: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    const close = text.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) {
      throw new UrlTemplateError(`the ${where} has a "}" without a matching "{"`);
    }
    if (open === -1) {
      parts.push({ literal: text.slice(i) });
      break;
    }
    if (open > i) parts.push({ literal: text.slice(i, open) });
    const end = text.indexOf('}', open);
    if (end === -1) throw new UrlTemplateError(`the ${where} has a "{" that is never closed`);
    const name = text.slice(open + 1, end);
    if (!PLACEHOLDER_NAME.test(name)) {
      throw new UrlTemplateError(`"{${name}}" in the ${where} is not a valid placeholder name (letters, digits and _)`);
    }
    parts.push({ placeholder: name });
    i = end + 1;
  }
  return parts;
}

const parsedTemplates = new SharedByText<UrlTemplate>(4_096);

/**
 * Parses and checks a template such as `https://pms.example.com/patients/{patient_id}/visits?date={date}`
 * (shared with every other definition using the same text; throws UrlTemplateError).
 */
export function parseUrlTemplate(source: string): UrlTemplate {
  return parsedTemplates.get(source, parse);
}

function parse(source: string): UrlTemplate {
  if (source.trim() !== source || source.length === 0) {
    throw new UrlTemplateError('the URL template must be a non-empty absolute http(s) URL without surrounding spaces');
  }
  const match = ORIGIN.exec(source);
  if (!match) throw new UrlTemplateError('the URL template must start with http:// or https:// followed by a host');
  let origin: URL;
  try {
    origin = new URL(match[0]);
  } catch {
    throw new UrlTemplateError('the URL template does not have a valid host');
  }
  if (origin.username || origin.password) {
    throw new UrlTemplateError('the URL template must not carry a user name or password: use auth and a credential');
  }
  const rest = source.slice(match[0].length);
  if (rest.includes('#')) throw new UrlTemplateError('the URL template must not contain a fragment (#)');
  if (rest.length > 0 && !rest.startsWith('/') && !rest.startsWith('?')) {
    throw new UrlTemplateError('the URL template has an unexpected character after the host');
  }
  const q = rest.indexOf('?');
  const pathText = q === -1 ? rest : rest.slice(0, q);
  const queryText = q === -1 ? '' : rest.slice(q + 1);
  const path = parseParts(pathText.length === 0 ? '/' : pathText, 'path');
  const query = parseParts(queryText, 'query');
  const placeholders: string[] = [];
  const pathPlaceholders = new Set<string>();
  const queryPlaceholders = new Set<string>();
  for (const [parts, set] of [
    [path, pathPlaceholders],
    [query, queryPlaceholders],
  ] as const) {
    for (const part of parts) {
      if ('placeholder' in part) {
        if (placeholders.includes(part.placeholder)) {
          throw new UrlTemplateError(`placeholder {${part.placeholder}} appears more than once`);
        }
        placeholders.push(part.placeholder);
        set.add(part.placeholder);
      }
    }
  }
  return Object.freeze({ source, origin: origin.origin, path: Object.freeze(path), query: Object.freeze(query), placeholders: Object.freeze(placeholders), pathPlaceholders, queryPlaceholders });
}

/**
 * Encodes one path segment so that no value can leave it: `/`, `?`, `#` and `%` are escaped by
 * encodeURIComponent. A value that is exactly `.` or `..` cannot be made safe by escaping (URL parsers
 * treat `%2E%2E` as a parent step too), so it is refused.
 */
export function encodePathValue(value: string, field = 'value'): string {
  if (value === '.' || value === '..') {
    throw new SwitchboardError('INVALID_ARGUMENTS', `path parameter ${field} must not be "." or ".."`, {
      fieldErrors: [{ field, message: 'must not be "." or ".."' }],
    });
  }
  return encodeURIComponent(value);
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Expands the template with the given values: path placeholders as single segments, query
 * placeholders as query components. Returns the path and query (`/a/b?x=1`) to send to `origin`.
 * A missing or empty path value is an error: it would change which resource the request names.
 */
export function expandUrlTemplate(template: UrlTemplate, values: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const part of template.path) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    const value = values[part.placeholder];
    const text = value === undefined || value === null ? '' : stringify(value);
    if (text.length === 0) {
      throw new SwitchboardError('INVALID_ARGUMENTS', `path parameter ${part.placeholder} must not be empty`, {
        fieldErrors: [{ field: part.placeholder, message: 'must not be empty' }],
      });
    }
    out += encodePathValue(text, part.placeholder);
  }
  if (template.query.length > 0) {
    out += '?';
    for (const part of template.query) {
      if ('literal' in part) {
        out += part.literal;
        continue;
      }
      const value = values[part.placeholder];
      out += value === undefined || value === null ? '' : encodeURIComponent(stringify(value));
    }
  }
  return out;
}
