import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { readJsonBody } from './http-body.js';
import { createMcpServer, type GatewayDeps } from './mcp-server.js';
import { authenticate, type OrgPrincipal, type TokenVerifier } from './org-auth.js';
import { mcpRouteOf } from './route.js';

export interface GatewayServerOptions {
  readonly deps: GatewayDeps;
  readonly tokens: TokenVerifier;
  readonly maxBodyBytes: number;
}

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

async function serveMcp(options: GatewayServerOptions, principal: OrgPrincipal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, options.maxBodyBytes);
  if (!body.ok) {
    sendError(res, body.status, body.status === 400 ? ErrorCode.ParseError : ErrorCode.InvalidRequest, body.message, { connection: 'close' });
    return;
  }
  const server = createMcpServer(options.deps, principal, req.headers);
  // Stateless: no session id, a fresh server and transport per request, plain JSON answers.
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.once('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body.value);
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
  const principal = await authenticate(options.tokens, req.headers.authorization, route.orgId);
  if (principal === undefined) {
    unauthorized(res);
    return;
  }
  if (req.method !== 'POST') {
    // Stateless Streamable HTTP: no server-initiated stream (GET) and no session to end (DELETE).
    sendError(res, 405, ErrorCode.InvalidRequest, 'Method not allowed', { allow: 'POST' });
    return;
  }
  await serveMcp(options, principal, req, res);
}

/** The gateway's HTTP server: POST /mcp (or /mcp/<org>) with an org token, everything else refused. */
export function createGatewayServer(options: GatewayServerOptions): http.Server {
  return http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'mcp request failed');
      sendError(res, 503, ErrorCode.InternalError, 'The service is not available right now');
    });
  });
}
