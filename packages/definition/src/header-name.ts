/** RFC 9110 section 5.6.2 `token`: the only characters a field name may hold. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Framing and connection headers that belong to the HTTP client: a definition, an argument or a
 * credential setting them could split or smuggle a request.
 */
const CLIENT_OWNED: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);

/** Headers a definition may not set: the client's own, and Switchboard's tracing, which upstreams may trust. */
const FORBIDDEN: ReadonlySet<string> = new Set([...CLIENT_OWNED, 'x-request-id', 'traceparent']);
const FORBIDDEN_PREFIXES = ['proxy-', 'x-allison-'];

export function isHeaderToken(name: string): boolean {
  return TOKEN.test(name);
}

/** Whether a lower-case header name belongs to the HTTP client (see CLIENT_OWNED). */
export function isClientOwnedHeader(lowerName: string): boolean {
  return CLIENT_OWNED.has(lowerName);
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
