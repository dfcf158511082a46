import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@switchboard/logging';
import { tokenPrefixOf, type FailureThrottle, type OrgTokenInfo } from '@switchboard/org-tokens';
import { SwitchboardError } from '@switchboard/errors';
import type { ApiDeps, ApiHandler, ApiRequest } from './api-context.js';
import { integrationStats, listCalls } from './calls-api.js';
import { readCookie, sessionCookie, sessionCookieName } from './cookies.js';
import { listCredentials, putCredential } from './credentials-api.js';
import { definitionDocument, definitionText } from './definition-form-api.js';
import { listDeliveries, retryDelivery } from './deliveries-api.js';
import { errorBody, readJson, sendJson, stringField } from './http-io.js';
import { applyImport, previewImport } from './import-api.js';
import { createIntegration, deleteIntegration, getIntegration, listIntegrations, updateIntegration } from './integrations-api.js';
import { checkCsrf, checkOrigin } from './request-guard.js';
import type { Session, SessionStore } from './sessions.js';
import type { StaticFile } from './static-files.js';
import { runTest } from './test-api.js';
import { listTools } from './tools-api.js';

/** The slice of the org token store the console uses. */
export interface TokenVerifier {
  verify(token: string): Promise<OrgTokenInfo | undefined>;
  isActive(orgId: string, tokenId: string): Promise<boolean>;
}

export interface ConsoleServerOptions {
  readonly deps: ApiDeps;
  readonly tokens: TokenVerifier;
  readonly sessions: SessionStore;
  readonly files: ReadonlyMap<string, StaticFile>;
  readonly secureCookie: boolean;
  readonly sessionTtlMs: number;
  readonly logger: Logger;
  /** Failed sign-in counts, shared by the replicas. */
  readonly throttle: FailureThrottle;
  /** How often a session re-checks that its token was not revoked. */
  readonly tokenRecheckMs?: number;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: ApiHandler;
}

const KEY = '([^/]{1,128})';
const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/api\/integrations$/, handler: listIntegrations },
  { method: 'POST', pattern: /^\/api\/integrations$/, handler: createIntegration },
  { method: 'GET', pattern: new RegExp(`^/api/integrations/${KEY}$`), handler: getIntegration },
  { method: 'PUT', pattern: new RegExp(`^/api/integrations/${KEY}$`), handler: updateIntegration },
  { method: 'DELETE', pattern: new RegExp(`^/api/integrations/${KEY}$`), handler: deleteIntegration },
  { method: 'POST', pattern: /^\/api\/test$/, handler: runTest },
  { method: 'GET', pattern: /^\/api\/credentials$/, handler: listCredentials },
  { method: 'PUT', pattern: new RegExp(`^/api/credentials/${KEY}$`), handler: putCredential },
  { method: 'GET', pattern: /^\/api\/calls$/, handler: listCalls },
  { method: 'GET', pattern: new RegExp(`^/api/integrations/${KEY}/stats$`), handler: integrationStats },
  { method: 'GET', pattern: /^\/api\/tools$/, handler: listTools },
  { method: 'GET', pattern: /^\/api\/deliveries$/, handler: listDeliveries },
  { method: 'POST', pattern: new RegExp(`^/api/deliveries/${KEY}/retry$`), handler: retryDelivery },
  { method: 'POST', pattern: /^\/api\/definition\/document$/, handler: definitionDocument },
  { method: 'POST', pattern: /^\/api\/definition\/text$/, handler: definitionText },
  { method: 'POST', pattern: /^\/api\/import\/openapi\/preview$/, handler: previewImport },
  { method: 'POST', pattern: /^\/api\/import\/openapi\/apply$/, handler: applyImport },
];

/** Only this page's own scripts and styles, no framing, no third parties. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD';

export function createConsoleServer(options: ConsoleServerOptions): Server {
  const { deps, tokens, sessions, files, secureCookie, logger } = options;
  const cookieName = sessionCookieName(secureCookie);
  const recheckMs = options.tokenRecheckMs ?? 30_000;

  const currentSession = async (req: IncomingMessage): Promise<Session | undefined> => {
    const session = await sessions.get(readCookie(req.headers.cookie, cookieName));
    if (!session) return undefined;
    if (Date.now() - session.tokenCheckedAt <= recheckMs) return session;
    if (!(await tokens.isActive(session.orgId, session.tokenId))) {
      await sessions.delete(session.id);
      logger.info({ orgId: session.orgId, tokenId: session.tokenId }, 'session ended: its token was revoked');
      return undefined;
    }
    return sessions.markTokenChecked(session);
  };

  const signIn = async (req: IncomingMessage, res: ServerResponse) => {
    checkOrigin(req);
    const client = req.socket.remoteAddress ?? '';
    const token = stringField(await readJson(req), 'token', { max: 200 }).trim();
    const prefix = tokenPrefixOf(token);
    const waitMs = await options.throttle.retryAfterMs(client, prefix);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      logger.info({ client }, 'sign-in throttled');
      return sendJson(res, 429, { reason: 'RATE_LIMITED', message: `too many failed sign-ins; try again in ${seconds} s`, fieldErrors: [] }, { 'retry-after': String(seconds) });
    }
    const info = await tokens.verify(token);
    if (!info) {
      await options.throttle.failed(client, prefix);
      logger.info({ client }, 'sign-in refused');
      throw new SwitchboardError('UNAUTHENTICATED', 'that token is not valid (it may have been revoked)');
    }
    const previous = readCookie(req.headers.cookie, cookieName);
    if (previous) await sessions.delete(previous);
    const session = await sessions.create(info.orgId, info.tokenId);
    logger.info({ orgId: info.orgId, tokenId: info.tokenId }, 'signed in');
    sendJson(res, 201, { orgId: session.orgId, csrfToken: session.csrfToken }, {
      'set-cookie': sessionCookie(cookieName, session.id, secureCookie, Math.floor(options.sessionTtlMs / 1000)),
    });
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const method = req.method ?? 'GET';
    if (url.pathname === '/api/session' && method === 'POST') return signIn(req, res);
    if (isWrite(method)) checkOrigin(req);
    const session = await currentSession(req);
    if (!session) throw new SwitchboardError('UNAUTHENTICATED', 'sign in first');
    if (isWrite(method)) checkCsrf(req, session);
    if (url.pathname === '/api/session') {
      if (method === 'GET') return sendJson(res, 200, { orgId: session.orgId, csrfToken: session.csrfToken });
      if (method === 'DELETE') {
        await sessions.delete(session.id);
        res.writeHead(204, { 'set-cookie': sessionCookie(cookieName, '', secureCookie, 0), 'cache-control': 'no-store' });
        return res.end();
      }
      throw new SwitchboardError('METHOD_NOT_ALLOWED', `${method} is not allowed here`);
    }
    for (const route of ROUTES) {
      const m = route.pattern.exec(url.pathname);
      if (!m || route.method !== method) continue;
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        throw new SwitchboardError('NOT_FOUND', 'no such page');
      }
      const request: ApiRequest = { session, params, query: url.searchParams, body: () => readJson(req) };
      const result = await route.handler(request, deps);
      if (result.status === 204) {
        res.writeHead(204, { 'cache-control': 'no-store' });
        return res.end();
      }
      return sendJson(res, result.status ?? 200, result.body);
    }
    throw new SwitchboardError('NOT_FOUND', 'no such API');
  };

  const page = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      return res.end();
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('ok');
    }
    const file = files.get(url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain', ...PAGE_HEADERS });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', ...PAGE_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (!url.pathname.startsWith('/api/')) return page(req, res, url);
    api(req, res, url).catch((err: unknown) => {
      const { status, body } = errorBody(err);
      if (status >= 500) logger.error({ err, path: url.pathname }, 'console API failed');
      if (res.headersSent) return res.destroy();
      sendJson(res, status, body);
    });
  });
}
