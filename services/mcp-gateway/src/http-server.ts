import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { answerModeOf, normaliseAccept } from './accept-header.js';
import { readJsonBody } from './http-body.js';
import { createMcpServer, type GatewayDeps } from './mcp-server.js';
import { authenticate, bearerTokenOf, type OrgPrincipal, type TokenVerifier } from './org-auth.js';
import { tokenPrefixOf, type FailureThrottle } from '@switchboard/org-tokens';
import { originAllowed } from './origin-policy.js';
import { mcpRouteOf } from './route.js';
import type { McpSession, SessionTable } from './sessions.js';

export interface GatewayServerOptions {
  readonly deps: GatewayDeps;
  readonly tokens: TokenVerifier;
  readonly maxBodyBytes: number;
  /** Browser origins allowed in `Origin` (lower case); requests without one are not from a browser page. */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly throttle: FailureThrottle;
  readonly sessions: SessionTable;
}

/** JSON-RPC's "no session" code as the SDK and MCP clients use it. */
const SESSION_NOT_FOUND = -32001;

function sendError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** The same answer for a missing, malformed, unknown or revoked token and for another org's path. */
function unauthorized(res: ServerResponse): void {
  sendError(res, 401, ErrorCode.InvalidRequest, 'Unauthorized', { 'www-authenticate': 'Bearer realm="switchboard-mcp"' });
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function bodyOf(options: GatewayServerOptions, req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | undefined> {
  const body = await readJsonBody(req, options.maxBodyBytes);
  if (body.ok) return { value: body.value };
  sendError(res, body.status, body.status === 400 ? ErrorCode.ParseError : ErrorCode.InvalidRequest, body.message, { connection: 'close' });
  return undefined;
}

/** A request of an open session: POST (messages) and DELETE (end it); no server-initiated GET stream. */
async function serveSession(options: GatewayServerOptions, session: McpSession, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'DELETE') {
    await session.handle(req, res, undefined);
    return;
  }
  if (req.method !== 'POST') {
    sendError(res, 405, ErrorCode.InvalidRequest, 'Method not allowed', { allow: 'POST, DELETE' });
    return;
  }
  const body = await bodyOf(options, req, res);
  if (body === undefined) return;
  const mode = answerModeOf(headerOf(req, 'accept'));
  if (mode === 'stream' || (mode === 'json' && session.jsonOnly)) normaliseAccept(req);
  await session.handle(req, res, body.value);
}

/**
 * initialize without a session: a new session with its own MCP server and transport, and its own call
 * id for tools/calls that name none. It is kept only once the transport has issued its id.
 */
async function openSession(options: GatewayServerOptions, principal: OrgPrincipal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, req.method === 'GET' ? 405 : 400, ErrorCode.InvalidRequest, req.method === 'GET' ? 'Method not allowed' : 'Mcp-Session-Id header is required', { allow: 'POST, DELETE' });
    return;
  }
  const body = await bodyOf(options, req, res);
  if (body === undefined) return;
  const messages: unknown[] = Array.isArray(body.value) ? body.value : [body.value];
  if (!messages.some((m) => isInitializeRequest(m))) {
    sendError(res, 400, ErrorCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required (initialize first)');
    return;
  }
  const mode = answerModeOf(headerOf(req, 'accept'));
  if (mode !== 'none') normaliseAccept(req);
  const scope = { principal, callId: randomUUID(), canAsk: mode === 'stream' };
  const server = createMcpServer(options.deps, scope);
  let opened: string | undefined;
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: mode === 'json',
    onsessioninitialized: (id) => {
      opened = id;
      options.sessions.add({
        id,
        principal,
        callId: scope.callId,
        jsonOnly: mode === 'json',
        handle: (q, s, b) => transport.handleRequest(q, s, b),
        close: async () => {
          await transport.close();
          await server.close();
          // The session's own call id ends with it, and so does its call state (exports, verification).
          // A call id the client passed belongs to a live call that its runtime ends.
          await options.deps.executor.endCall?.(principal.orgId, scope.callId).catch(() => undefined);
        },
      });
    },
    onsessionclosed: (id) => options.sessions.remove(id),
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body.value);
  if (opened === undefined) {
    await transport.close();
    await server.close();
  }
}

async function handle(options: GatewayServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Liveness for probes: no token needed, nothing revealed.
  if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const route = mcpRouteOf(req.url);
  if (route === undefined) {
    sendError(res, 404, ErrorCode.InvalidRequest, 'Not found');
    return;
  }
  // MCP Streamable HTTP: a foreign Origin is refused before anything else (DNS rebinding).
  if (!originAllowed(headerOf(req, 'origin'), options.allowedOrigins)) {
    sendError(res, 403, ErrorCode.InvalidRequest, 'Forbidden: this Origin is not allowed');
    return;
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  // Checked before the token is looked up, so a guesser past the limit costs no KV read; no success
  // (of this token or another) resets a count.
  const prefix = tokenPrefixOf(bearerTokenOf(req.headers.authorization) ?? '');
  const waitMs = await options.throttle.retryAfterMs(client, prefix);
  if (waitMs > 0) {
    sendError(res, 429, ErrorCode.InvalidRequest, 'Too many failed tokens; wait before trying again', { 'retry-after': String(Math.ceil(waitMs / 1000)) });
    return;
  }
  const principal = await authenticate(options.tokens, req.headers.authorization, route.orgId);
  if (principal === undefined) {
    await options.throttle.failed(client, prefix);
    unauthorized(res);
    return;
  }
  const sessionId = headerOf(req, 'mcp-session-id');
  if (sessionId === undefined) {
    await openSession(options, principal, req, res);
    return;
  }
  // Another org's (or another token's) session is as unknown as one that never existed.
  const session = options.sessions.use(sessionId, principal);
  if (session === undefined) {
    sendError(res, 404, SESSION_NOT_FOUND, 'Session not found');
    return;
  }
  await serveSession(options, session, req, res);
}

/** The gateway's HTTP server: /mcp (or /mcp/<org>) with an org token, everything else refused. */
export function createGatewayServer(options: GatewayServerOptions): http.Server {
  return http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'mcp request failed');
      sendError(res, 503, ErrorCode.InternalError, 'The service is not available right now');
    });
  });
}
