/** RFC 9110 section 5.6.2 `token`: the only characters a field name may hold. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers a definition may not set. The first group belongs to the HTTP client (framing and
 * connection management: setting them breaks or smuggles requests); the second to Switchboard's own
 * tracing, which upstreams may trust.
 */
const FORBIDDEN = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'x-request-id',
  'traceparent',
]);
const FORBIDDEN_PREFIXES = ['proxy-', 'x-allison-'];

export function isHeaderToken(name: string): boolean {
  return TOKEN.test(name);
}

/** Why a header name cannot be used, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (!isHeaderToken(name)) return 'is not a valid header name (letters, digits and !#$%&\'*+-.^_`|~ only)';
  const lower = name.toLowerCase();
  if (FORBIDDEN.has(lower) || FORBIDDEN_PREFIXES.some((p) => lower.startsWith(p))) {
    return `"${name}" is set by Switchboard or the HTTP client and cannot be set by a definition`;
  }
  return undefined;
}
