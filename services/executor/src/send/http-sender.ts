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
  // The common live call (no redirects, one attempt, no OAuth) goes to the pool directly: the
  // interceptors would only pass it through, behind two handler wrappers.
  if (options.maxRedirects === 0 && options.plan === undefined) return sendDirect(req, dispatcher, options);
  const started = performance.now();
  let firstByteMs = 0;
  try {
    const res = await request(wireUrl(req), {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: withInterceptors(dispatcher),
      signal: options.signal,
      // Read per request by undici's redirect interceptor; the plan by ours. Neither is in undici's
      // request options type, and undici passes unknown options on to the dispatcher untouched.
      ...({ maxRedirections: options.maxRedirects, [SEND_PLAN]: options.plan } as object),
    });
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
 * The common call, dispatched to the pool with a handler that collects the body itself. undici's
 * `request` wraps every call in an async-hooks resource, a Readable stream for the body and its async
 * iterator; none of them is needed to read a body of a few hundred bytes into one Buffer. Same answer,
 * same size cap (declared or read), same errors (classifySendError), same abort on the budget's signal.
 */
function sendDirect(req: OutboundRequest, dispatcher: Dispatcher, options: SendOptions): Promise<SentResponse> {
  const url = wireUrl(req);
  return new Promise<SentResponse>((resolve, reject) => {
    const collector = new BodyCollector(options, resolve, reject);
    try {
      dispatcher.dispatch({ origin: url.origin, path: url.pathname + url.search, method: req.method, headers: req.headers, body: req.body ?? null }, collector);
    } catch (err) {
      collector.onResponseError(undefined, err as Error);
    }
  });
}

/** undici dispatch handler for sendDirect: one answer, its headers and its body as one Buffer. */
class BodyCollector implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private firstByteMs = 0;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly onAbort = () => this.controller?.abort(this.options.signal.reason as Error);

  constructor(
    private readonly options: SendOptions,
    private readonly resolve: (sent: SentResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted before undici took the request: abort it at once (undici answers with onResponseError).
    if (this.options.signal.aborted) controller.abort(this.options.signal.reason as Error);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Dispatcher.ResponseData['headers']): void {
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    this.firstByteMs = performance.now() - this.started;
    const declared = Number(headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > this.options.maxBodyBytes) this.fail(controller, tooLarge(this.options.maxBodyBytes));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.options.maxBodyBytes) {
      this.fail(controller, tooLarge(this.options.maxBodyBytes));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settle();
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, body, firstByteMs: this.firstByteMs, totalMs: performance.now() - this.started });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.settled) return;
    this.settle();
    this.reject(classifySendError(err, this.options.signal));
  }

  /** Too large: the answer is RESPONSE_TOO_LARGE, and the connection is closed rather than read to its end. */
  private fail(controller: Dispatcher.DispatchController, err: Error): void {
    this.settle();
    this.reject(err);
    controller.abort(err);
  }

  private settle(): void {
    this.settled = true;
    this.options.signal.removeEventListener('abort', this.onAbort);
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
