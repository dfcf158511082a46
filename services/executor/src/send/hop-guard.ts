import { wireTarget, type OutboundRequest } from '../outbound-request.js';
import { SIGNATURE_HEADER, signHeaders, TIMESTAMP_HEADER } from '../signing.js';

/** One hop of a request as undici is about to send it: the first, a retry, or a followed redirect. */
export interface Hop {
  readonly origin: string;
  /** Path and query exactly as they go on the request line. */
  readonly path: string;
  readonly method: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a hop sends instead of what it was given. */
export interface GuardedHop {
  readonly path: string;
  readonly headers: Record<string, string>;
}

// Never sent to an origin the credentials do not belong to, whether or not the auth step listed them.
const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', SIGNATURE_HEADER, TIMESTAMP_HEADER];

/**
 * Keeps a request's credentials with the origin they belong to, and its signature true for each hop:
 *
 * - a hop to another origin (another scheme, host or port) carries no credential: no header or query
 *   parameter the auth step added, no cookie or authorization, and no signature (it covers method,
 *   target, time and body but not the host, so another origin could replay it against this one);
 * - a hop to the same origin with another method, target or body (a redirect there) is signed again
 *   over its own method, path and query, and body;
 * - the request as built (the first hop, a retry) goes unchanged: undefined.
 *
 * `first` is the authenticated request (its `secretHeaders` / `secretQuery` name what the auth step
 * added); `signingSecret` is set for a signed integration.
 */
export function guardHop(first: OutboundRequest, hop: Hop, signingSecret: string | undefined, nowMs: number = Date.now()): GuardedHop | undefined {
  if (hop.origin !== first.origin) return crossOrigin(first, hop);
  if (signingSecret === undefined) return undefined;
  if (hop.method === first.method && hop.path === wireTarget(first) && hop.body === (first.body ?? '')) return undefined;
  const headers = { ...hop.headers };
  signHeaders(headers, signingSecret, hop.method, hop.path, hop.body, nowMs);
  return { path: hop.path, headers };
}

function crossOrigin(first: OutboundRequest, hop: Hop): GuardedHop {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(hop.headers)) {
    const lower = name.toLowerCase();
    if (!first.secretHeaders.has(lower) && !CREDENTIAL_HEADERS.includes(lower)) headers[name] = value;
  }
  return { path: withoutParams(hop.path, first.secretQuery), headers };
}

/** The path with the named query parameters removed (an upstream may echo an API key into its Location). */
function withoutParams(path: string, names: ReadonlySet<string>): string {
  const q = path.indexOf('?');
  if (q < 0 || names.size === 0) return path;
  const url = new URL(path, 'http://hop.invalid');
  for (const name of names) url.searchParams.delete(name);
  return url.pathname + url.search;
}
