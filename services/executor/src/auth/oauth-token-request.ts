import { OAuthClientAuth } from '@switchboard/contracts';
import { isSwitchboardError, SwitchboardError } from '@switchboard/errors';
import { request, type Dispatcher } from 'undici';
import { authFailed } from './auth-failed.js';
import type { PermanentFailureReason } from './types.js';

export type OAuthGrant = 'client_credentials' | 'refresh_token';

export interface TokenRequestInput {
  tokenUrl: URL;
  grant: OAuthGrant;
  scopes: readonly string[];
  extraParams: Readonly<Record<string, string>>;
  clientAuth: OAuthClientAuth;
  clientId: string;
  clientSecret: string | undefined;
  refreshToken?: string | undefined;
}

export interface TokenRequestOptions {
  dispatcher: Dispatcher;
  /** Bounds connect-to-last-byte; undici's own 300 s defaults are far too long for a live call. */
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface IssuedToken {
  accessToken: string;
  /** Seconds, as the token endpoint said; undefined when it did not. */
  expiresIn: number | undefined;
  /** A new refresh token when the provider rotates them. */
  refreshToken: string | undefined;
}

export type TokenResult =
  | { ok: true; token: IssuedToken }
  | {
      ok: false;
      error: SwitchboardError;
      /** Set when retrying cannot help until someone fixes the credential. */
      permanent?: PermanentFailureReason;
      status?: number;
      oauthError?: string;
    };

const PERMANENT: Readonly<Record<string, PermanentFailureReason>> = {
  invalid_grant: 'grant_rejected',
  invalid_client: 'client_rejected',
  unauthorized_client: 'client_rejected',
};

// Parameters the grant itself owns; an extra param of the same name must not replace them.
const RESERVED_PARAMS: ReadonlySet<string> = new Set(['grant_type', 'refresh_token', 'scope', 'client_id', 'client_secret']);

// RFC 6749 error codes are short ASCII words; anything else may be an echo of input and is not repeated.
const OAUTH_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const SAFE_TOKEN_TYPE = /^[A-Za-z0-9_.-]{1,32}$/;
const BAD_HEADER_VALUE = /[\r\n\0]/;

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * POSTs one token request (RFC 6749 §4.4 / §6) and classifies the answer. Never throws: every failure
 * comes back as an AUTH_FAILED error (TIMEOUT when the endpoint is too slow) whose message names the token endpoint's host and a code, never
 * a secret or a response-body value.
 */
export async function requestToken(input: TokenRequestInput, options: TokenRequestOptions): Promise<TokenResult> {
  const host = input.tokenUrl.host;
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(input.extraParams)) {
    if (!RESERVED_PARAMS.has(name)) form.append(name, value);
  }
  form.set('grant_type', input.grant);
  if (input.grant === 'refresh_token' && input.refreshToken !== undefined) form.set('refresh_token', input.refreshToken);
  if (input.scopes.length > 0) form.set('scope', input.scopes.join(' '));

  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (input.clientSecret === undefined || input.clientAuth === OAuthClientAuth.O_AUTH_CLIENT_AUTH_BODY) {
    form.set('client_id', input.clientId);
    if (input.clientSecret !== undefined) form.set('client_secret', input.clientSecret);
  } else {
    // RFC 6749 §2.3.1: both parts are form-encoded before base64.
    const pair = `${formEncode(input.clientId)}:${formEncode(input.clientSecret)}`;
    headers['authorization'] = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  }

  let status: number;
  let text: string;
  try {
    const res = await request(input.tokenUrl, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers,
      body: form.toString(),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = res.statusCode;
    const body = await readCapped(res.body, options.maxResponseBytes);
    if (body === undefined) return fail(`OAuth token response from ${host} is larger than ${options.maxResponseBytes} bytes (token_response_too_large)`, status);
    text = body;
  } catch (error) {
    // The egress guard refuses with its own typed error; keep its reason (EGRESS_BLOCKED) for the outcome.
    if (isSwitchboardError(error)) return { ok: false, error };
    if (isSwitchboardError(causeOf(error))) return { ok: false, error: causeOf(error) as SwitchboardError };
    if (isTimeout(error)) {
      // Slow, not refused: the call answers like any upstream that took too long.
      return { ok: false, error: new SwitchboardError('TIMEOUT', `OAuth token request to ${host} timed out (token_endpoint_timeout); will retry on a later call`, { cause: error }) };
    }
    return { ok: false, error: authFailed(`OAuth token request to ${host} failed (token_endpoint_unreachable); will retry on a later call`, error) };
  }

  const json = parseJsonObject(text);
  if (status >= 200 && status < 300) return parseIssued(json, host, status);

  const rawError = json?.['error'];
  const oauthError = typeof rawError === 'string' && OAUTH_ERROR_CODE.test(rawError) ? rawError : undefined;
  const permanent = (status === 400 || status === 401) && oauthError !== undefined ? PERMANENT[oauthError] : undefined;
  if (permanent !== undefined) {
    const advice = permanent === 'grant_rejected' ? 're-authorise the credential' : 'check the client id and secret';
    return {
      ok: false,
      error: authFailed(`OAuth token request to ${host} was refused with ${oauthError} (HTTP ${status}); ${advice}`),
      permanent,
      status,
      oauthError,
    };
  }
  if (status >= 500 || status === 429) {
    const code = status === 429 ? 'token_endpoint_rate_limited' : 'token_endpoint_unavailable';
    return fail(`OAuth token request to ${host} failed (${code}, HTTP ${status}); will retry on a later call`, status, oauthError);
  }
  const detail = oauthError === undefined ? '' : ` with ${oauthError}`;
  return fail(`OAuth token request to ${host} was rejected${detail} (token_request_rejected, HTTP ${status})`, status, oauthError);
}

function parseIssued(json: Record<string, unknown> | undefined, host: string, status: number): TokenResult {
  const accessToken = json?.['access_token'];
  if (json === undefined || typeof accessToken !== 'string' || accessToken === '' || BAD_HEADER_VALUE.test(accessToken)) {
    return fail(`OAuth token response from ${host} has no usable access_token (token_response_invalid)`, status);
  }
  const tokenType = json['token_type'];
  // Some providers omit token_type; anything other than bearer (DPoP, MAC) needs a different scheme.
  if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
    const shown = SAFE_TOKEN_TYPE.test(tokenType) ? tokenType : 'unknown';
    return fail(`OAuth token response from ${host} has token_type ${shown}, only bearer is supported (token_type_unsupported)`, status);
  }
  const refresh = json['refresh_token'];
  return {
    ok: true,
    token: {
      accessToken,
      expiresIn: parseExpiresIn(json['expires_in']),
      refreshToken: typeof refresh === 'string' && refresh !== '' ? refresh : undefined,
    },
  };
}

// Some providers send expires_in as a string; zero or garbage counts as unknown.
function parseExpiresIn(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function fail(message: string, status?: number, oauthError?: string): TokenResult {
  return { ok: false, error: authFailed(message), status, oauthError };
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
}
