import type { HttpMethodName } from './http-method.js';

/**
 * The request the executor is about to send, built from a definition and arguments, before and after
 * authentication. Header names are lower-case. Anything that carries a secret is listed in
 * `secretHeaders` / `secretQuery` so that the Test output and the audit can redact it by name.
 */
export interface OutboundRequest {
  method: HttpMethodName;
  /** `https://api.example.com:8443`: fixed by the definition, never by a value. */
  origin: string;
  /** Encoded path plus the template's own query, e.g. `/patients/p%2F1/visits?date=2024-01-01`. */
  path: string;
  /** Extra query parameters (placement `query`, API keys in query), appended at send time. */
  query: [string, string][];
  headers: Record<string, string>;
  body: string | undefined;
  secretHeaders: Set<string>;
  secretQuery: Set<string>;
  /**
   * `path` with the values of sensitive path and template-query placeholders replaced by
   * `[REDACTED]`; set only when there is one, for the Test output and the audit.
   */
  redactedPath?: string;
}

/** The full path and query to put on the wire. */
export function requestTarget(req: OutboundRequest): string {
  if (req.query.length === 0) return req.path;
  let qs = '';
  for (const [name, value] of req.query) {
    qs += `${qs.length === 0 ? '' : '&'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
  return `${req.path}${req.path.includes('?') ? '&' : '?'}${qs}`;
}

/**
 * The URL exactly as undici puts it on the wire. undici parses the URL with WHATWG rules, which
 * percent-encode a few characters `encodeURIComponent` leaves alone (`'` in a query becomes `%27`);
 * sending and signing both go through here, so a signature always covers the bytes that were sent.
 */
export function wireUrl(req: OutboundRequest): URL {
  return new URL(req.origin + requestTarget(req));
}

/** The request target (path and query) as sent: what a receiver sees as its request URL. */
export function wireTarget(req: OutboundRequest): string {
  const url = wireUrl(req);
  return url.pathname + url.search;
}
