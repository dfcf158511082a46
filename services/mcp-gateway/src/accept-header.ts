import type { IncomingMessage } from 'node:http';

/** Whether an `Accept` header lists the media type (or a wildcard covering it). */
function accepts(accept: string | undefined, type: 'application/json' | 'text/event-stream'): boolean {
  if (accept === undefined) return false;
  const [major] = type.split('/');
  return accept
    .split(',')
    .map((part) => part.split(';', 1)[0]!.trim().toLowerCase())
    .some((range) => range === type || range === `${major}/*` || range === '*/*');
}

/**
 * How a client can take answers. MCP asks clients to accept both JSON and event streams; a client that
 * accepts only JSON (or anything) is served plain JSON instead of being refused, and then gets no
 * server-to-client requests (elicitation), since those travel on event streams.
 */
export function answerModeOf(accept: string | undefined): 'stream' | 'json' | 'none' {
  if (accepts(accept, 'text/event-stream') && accepts(accept, 'application/json')) return 'stream';
  return accepts(accept, 'application/json') ? 'json' : 'none';
}

/**
 * Writes an acceptable `Accept` as the SDK transport checks it (both types named literally), for a
 * request whose client accepts what its session answers with: a JSON-only session's transport answers
 * JSON (enableJsonResponse) whatever the header says. The SDK reads the raw headers, so those change too.
 */
export function normaliseAccept(req: IncomingMessage): void {
  const value = 'application/json, text/event-stream';
  req.headers.accept = value;
  const raw = req.rawHeaders;
  let found = false;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'accept') {
      raw[i + 1] = value;
      found = true;
    }
  }
  if (!found) raw.push('Accept', value);
}
