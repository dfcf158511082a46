import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { wireUrl, type OutboundRequest } from '../outbound-request.js';
import { authRefreshInterceptor } from './auth-refresh-interceptor.js';
import { hopInterceptor } from './hop-interceptor.js';
import { classifySendError, tooLarge } from './send-errors.js';
import { SEND_PLAN, type SendPlan } from './send-plan.js';
import { retryInterceptor } from './retry-interceptor.js';

export interface SentResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly firstByteMs: number;
  readonly totalMs: number;
}

export interface SendOptions {
  readonly signal: AbortSignal;
  /** Larger bodies fail with RESPONSE_TOO_LARGE instead of filling memory. */
  readonly maxBodyBytes: number;
  readonly maxRedirects: number;
  /** Retries, the 401 refresh and the hop guard, for the interceptors; none means one plain attempt. */
  readonly plan?: SendPlan | undefined;
}

/**
 * Sends one request through the shared, egress-guarded pool with undici's `request` (not `fetch`:
 * less overhead, and it exposes the body stream so the size cap can stop reading early). The pool is
 * wrapped in the interceptors (see `withInterceptors`): what comes back is the answer of the last
 * attempt, after redirects, retries and the 401 refresh.
 */
export async function sendRequest(req: OutboundRequest, dispatcher: Dispatcher, options: SendOptions): Promise<SentResponse> {
  const started = performance.now();
  let firstByteMs = 0;
  try {
    // The common live call (no redirects, one attempt, no OAuth) goes to the pool directly, with
    // nothing extra in its options: the interceptors would only pass it through, behind two handler wrappers.
    const res = await request(
      wireUrl(req),
      options.maxRedirects === 0 && options.plan === undefined
        ? { method: req.method, headers: req.headers, body: req.body, dispatcher, signal: options.signal }
        : {
            method: req.method,
            headers: req.headers,
            body: req.body,
            dispatcher: withInterceptors(dispatcher),
            signal: options.signal,
            // Read per request by undici's redirect interceptor; the plan by ours. Neither is in undici's
            // request options type, and undici passes unknown options on to the dispatcher untouched.
            ...({ maxRedirections: options.maxRedirects, [SEND_PLAN]: options.plan } as object),
          },
    );
    firstByteMs = performance.now() - started;
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      discard(res.body);
      throw tooLarge(options.maxBodyBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > options.maxBodyBytes) {
        discard(res.body);
        throw tooLarge(options.maxBodyBytes);
      }
      chunks.push(chunk as Buffer);
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
      firstByteMs,
      totalMs: performance.now() - started,
    };
  } catch (err) {
    throw classifySendError(err, options.signal);
  }
}

/**
 * Stops reading a body and closes its connection. The error listener comes first: destroying an
 * unfinished undici body emits 'error' (UND_ERR_ABORTED), which with no listener crashes the process.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

const composed = new WeakMap<Dispatcher, Dispatcher>();

/**
 * The pool with the send stage's interceptors, composed once per pool (the last listed is outermost):
 *
 * - `authRefreshInterceptor`: after a 401, fresh credentials and one more try;
 * - `retryInterceptor`: 429/502/503/504 and unreachable upstreams retried within the time budget;
 * - undici's `redirect`: each hop (at most the request's `maxRedirections`) goes through the same
 *   guarded connector, so every new host is checked again;
 * - `hopInterceptor`, below it, sees every hop's own options: each hop is signed over its own target,
 *   and no credential or signature goes to another origin (guardHop).
 */
function withInterceptors(base: Dispatcher): Dispatcher {
  let d = composed.get(base);
  if (!d) composed.set(base, (d = base.compose(hopInterceptor(), interceptors.redirect(), retryInterceptor(), authRefreshInterceptor())));
  return d;
}

export interface UpstreamPoolOptions {
  readonly connect: Agent.Options['connect'];
  readonly connectionsPerOrigin: number;
}

/** The shared pool: keep-alive connections per origin, undici's 300 s defaults replaced by call-sized ones. */
export function createUpstreamPool(options: UpstreamPoolOptions): Agent {
  return new Agent({
    connect: options.connect,
    connections: options.connectionsPerOrigin,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
}
