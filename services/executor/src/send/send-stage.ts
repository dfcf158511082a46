import type { Integration } from '@switchboard/contracts';
import { maxRedirectsOf } from '@switchboard/definition';
import type { Dispatcher } from 'undici';
import { applyAuth, type CredentialSource, type ResolvedCredential, type TokenSource } from '../auth/index.js';
import { accessTokenFor, credentialFor, oauthKey, signFor } from '../authenticate.js';
import type { BreakerRegistry, BreakerState } from '../breakers.js';
import type { OutboundRequest } from '../outbound-request.js';
import { RequestSecrets } from '../secret-masker.js';
import { SIGNATURE_HEADER } from '../signing.js';
import { guardHop, type GuardedHop, type Hop } from './hop-guard.js';
import { sendRequest, type SentResponse } from './http-sender.js';
import type { RetryPlan, SendPlan } from './send-plan.js';
import { UpstreamStatusError } from './upstream-status-error.js';
import type { AbortLike } from '../budget.js';

/**
 * The send half shared by live calls, Test and async deliveries: authenticate → breaker → retries
 * within budget → one OAuth refresh on 401 → redirects through the egress guard, each hop with its
 * own signature and no credential crossing to another origin. Every non-2xx answer ends as one
 * UpstreamStatusError.
 */

export interface SendStageDeps {
  readonly credentials: CredentialSource;
  readonly oauth: TokenSource;
  readonly breakers: BreakerRegistry;
  /** Larger bodies fail with RESPONSE_TOO_LARGE instead of filling memory. */
  readonly maxBodyBytes: number;
}

/**
 * The secrets a request was sent with, kept so a 401 can be answered with a fresh token and each
 * redirect hop signed over its own target. Never logged, recorded or returned.
 */
export interface Authenticated {
  readonly credential: ResolvedCredential | undefined;
  readonly accessToken: string | undefined;
  readonly signingSecret: string | undefined;
  /** Every secret the request went out with (a refreshed token and each hop's signature added as sent), for masking echoes. */
  readonly secrets: RequestSecrets;
}

/**
 * Puts the integration's secrets on a built request at the moment it is sent: the credential by id,
 * an OAuth 2 access token (cached), the auth header or query parameter, then the signature over the
 * request as it goes on the wire.
 */
export async function authenticate(
  deps: SendStageDeps,
  orgId: string,
  integration: Integration,
  outbound: OutboundRequest,
  signal: AbortLike,
): Promise<Authenticated> {
  const credential = await credentialFor(deps.credentials, orgId, integration);
  const accessToken = await accessTokenFor(deps.oauth, orgId, integration, credential, signal);
  applyAuth(outbound, integration.auth, credential, accessToken);
  const signingSecret = await signFor(deps.credentials, orgId, integration, outbound);
  const secrets = new RequestSecrets();
  addCredential(secrets, credential);
  secrets.add(accessToken);
  secrets.add(signingSecret);
  secrets.addSignature(signatureOf(outbound.headers));
  return { credential, accessToken, signingSecret, secrets };
}

// Fields that name who the caller is rather than prove it; every other field of a credential is secret.
const IDENTIFIER_FIELDS: ReadonlySet<string> = new Set(['username', 'client_id']);

function addCredential(secrets: RequestSecrets, credential: ResolvedCredential | undefined): void {
  if (credential === undefined) return;
  const fields = credential.fields;
  for (const name of Object.keys(fields)) if (!IDENTIFIER_FIELDS.has(name)) secrets.add(fields[name]);
  // Basic auth sends base64("user:password"), which an echo repeats whole.
  const { username, password } = fields;
  if (username !== undefined && password !== undefined) secrets.add(Buffer.from(`${username}:${password}`, 'utf8').toString('base64'));
}

/** The MAC of a signed request's signature header (`v1=<hex>`), or undefined when it is not signed. */
function signatureOf(headers: Readonly<Record<string, string>>): string | undefined {
  const value = headers[SIGNATURE_HEADER];
  return value === undefined ? undefined : value.slice(value.indexOf('=') + 1);
}

export interface SendInput {
  readonly orgId: string;
  readonly integration: Integration;
  /** Authenticated (see authenticate); a 401 refresh changes its auth headers and signature. */
  readonly outbound: OutboundRequest;
  readonly authenticated: Authenticated;
  readonly dispatcher: Dispatcher;
  readonly signal: AbortLike;
  /** Attempts and back-off; undefined for one attempt (a delivery: the queue does its retrying). */
  readonly retry: RetryPlan | undefined;
  /** False for Test: the integrator's own tries neither trip nor wait on the breaker. */
  readonly breaker: boolean;
}

/** What a send did besides its answer, filled as it goes so a failure reports it too. */
export interface SendTally {
  /** Requests sent again: retries and the 401 refresh. */
  retries: number;
  /** The integration's breaker after the send; 'bypassed' when it was not used. */
  breakerState: BreakerState;
}

export function newTally(input: Pick<SendInput, 'breaker'>): SendTally {
  return { retries: 0, breakerState: input.breaker ? 'closed' : 'bypassed' };
}

/**
 * Sends an authenticated request through the integration's breaker and the interceptors. Resolves to
 * a 2xx answer; rejects with UpstreamStatusError for any other status (4xx and 5xx inside the breaker,
 * so 5xx counts against it; an unfollowed redirect after it), or with the send's SwitchboardError
 * (TIMEOUT, UPSTREAM_UNREACHABLE, EGRESS_BLOCKED, RESPONSE_TOO_LARGE, AUTH_FAILED) or an open breaker.
 */
export async function send(deps: SendStageDeps, input: SendInput, tally: SendTally): Promise<SentResponse> {
  const { orgId, integration, outbound, signal } = input;
  const maxRedirects = maxRedirectsOf(integration);
  const retry = input.retry !== undefined && input.retry.maxAttempts > 1 ? input.retry : undefined;
  const refreshAuth = refresherFor(deps, input);
  const hop = maxRedirects > 0 ? hopGuardFor(input) : undefined;
  // No plan (and no per-call closure) for the common request that sends once, unredirected, without OAuth.
  const plan: SendPlan | undefined =
    retry === undefined && refreshAuth === undefined && hop === undefined ? undefined : { retry, refreshAuth, hop, onResend: () => tally.retries++ };
  const options = { signal, maxBodyBytes: deps.maxBodyBytes, maxRedirects, plan };
  const attempt = async (): Promise<SentResponse> => {
    const sent = maskSent(await sendRequest(outbound, input.dispatcher, options), input.authenticated.secrets);
    if (sent.status >= 400) throw new UpstreamStatusError(sent);
    return sent;
  };
  let sent: SentResponse;
  if (input.breaker) {
    const breakerId = `${orgId}.${integration.key}`;
    try {
      sent = await deps.breakers.fire(breakerId, integration.breaker, attempt);
    } finally {
      tally.breakerState = deps.breakers.state(breakerId);
    }
  } else {
    sent = await attempt();
  }
  if (sent.status >= 300) {
    // Reported like any other status (reason HTTP_3xx), with what to change in the definition.
    const advice = options.maxRedirects === 0 ? 'set max_redirects to follow it' : 'no more redirects are followed';
    throw new UpstreamStatusError(sent, `the upstream answered HTTP ${sent.status} (a redirect); ${advice}`);
  }
  return sent;
}

/** Every hop of a request that follows redirects: credentials kept to their origin, each hop signed over itself. */
function hopGuardFor(input: SendInput): (hop: Hop) => GuardedHop | undefined {
  const { outbound } = input;
  const { signingSecret, secrets } = input.authenticated;
  return (hop) => {
    const guarded = guardHop(outbound, hop, signingSecret);
    if (guarded !== undefined) secrets.addSignature(signatureOf(guarded.headers));
    return guarded;
  };
}

/** The answer with every echo of the request's secrets masked, before anything reads it (map, Test, audit). */
function maskSent(sent: SentResponse, secrets: RequestSecrets): SentResponse {
  if (secrets.empty) return sent;
  let headers = sent.headers;
  for (const [name, value] of Object.entries(sent.headers)) {
    if (value === undefined) continue;
    const masked = Array.isArray(value) ? value.map((v) => secrets.mask(v)) : secrets.mask(value);
    if (String(masked) === String(value)) continue;
    if (headers === sent.headers) headers = { ...sent.headers };
    headers[name] = masked;
  }
  const body = secrets.maskBytes(sent.body);
  return headers === sent.headers && body === sent.body ? sent : { ...sent, headers, body };
}

/** For an OAuth request: drop the token the upstream refused, fetch another, re-authenticate and re-sign. */
function refresherFor(deps: SendStageDeps, input: SendInput): (() => Promise<Record<string, string>>) | undefined {
  const { credential, accessToken, secrets } = input.authenticated;
  if (accessToken === undefined || credential === undefined) return undefined;
  const { orgId, integration, outbound, signal } = input;
  return async () => {
    await deps.oauth.invalidate(oauthKey(orgId, integration), accessToken);
    const fresh = await accessTokenFor(deps.oauth, orgId, integration, credential, signal);
    secrets.add(fresh);
    applyAuth(outbound, integration.auth, credential, fresh);
    await signFor(deps.credentials, orgId, integration, outbound);
    secrets.addSignature(signatureOf(outbound.headers));
    return outbound.headers;
  };
}
