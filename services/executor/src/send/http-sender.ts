import { Agent, interceptors, type Dispatcher } from 'undici';
import { wireUrl, type OutboundRequest } from '../outbound-request.js';
import { authRefreshInterceptor } from './auth-refresh-interceptor.js';
import { hopInterceptor } from './hop-interceptor.js';
import { classifySendError, tooLarge } from './send-errors.js';
import { SEND_PLAN, type SendPlan } from './send-plan.js';
import { retryInterceptor } from './retry-interceptor.js';
import type { AbortLike } from '../budget.js';

export interface SentResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly firstByteMs: number;
  readonly totalMs: number;
}

export interface SendOptions {
  readonly signal: AbortLike;
  /** Larger bodies fail with RESPONSE_TOO_LARGE instead of filling memory. */
  readonly maxBodyBytes: number;
  readonly maxRedirects: number;
  /** Retries, the 401 refresh and the hop guard, for the interceptors; none means one plain attempt. */
  readonly plan?: SendPlan | undefined;
}

/**
 * Sends one request through the shared, egress-guarded pool (undici's dispatcher API, not `fetch` or
 * `request`: see BodyCollector). Unless it is the plain common call (no redirects, one attempt, no
 * OAuth), the pool is wrapped in the interceptors (see `withInterceptors`): what comes back is the
 * answer of the last attempt, after redirects, retries and the 401 refresh.
 */
export function sendRequest(req: OutboundRequest, dispatcher: Dispatcher, options: SendOptions): Promise<SentResponse> {
  return new Promise<SentResponse>((resolve, reject) => {
    const collector = new BodyCollector(options, resolve, reject);
    try {
      const url = wireUrl(req);
      const opts: Dispatcher.DispatchOptions = { origin: url.origin, path: url.pathname + url.search, method: req.method, headers: req.headers, body: req.body ?? null };
      // The common call goes to the pool directly: the interceptors would only pass it through, behind
      // two handler wrappers. Otherwise the redirect interceptor reads `maxRedirections` and ours the
      // plan; neither is in undici's dispatch options type, which passes unknown options on untouched.
      if (options.maxRedirects === 0 && options.plan === undefined) {
        dispatcher.dispatch(opts, collector);
      } else {
        withInterceptors(dispatcher).dispatch(Object.assign(opts, { maxRedirections: options.maxRedirects, [SEND_PLAN]: options.plan }), collector);
      }
    } catch (err) {
      // A URL undici cannot take, or a dispatcher that refuses at once: classified like any failure.
      collector.onResponseError(undefined, err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/**
 * Collects one answer (the last attempt's, through the interceptors): its status, its headers and its
 * body as one Buffer. undici's `request` wraps every call in an async-hooks resource, a Readable for
 * the body and (read with `for await`) its async iterator; none of that is needed to read a body of a
 * few hundred bytes, and it cost about 11 µs of CPU per call. The size cap applies to the declared
 * length and to what is read; an abort of the budget's signal aborts the request; every failure goes
 * through classifySendError as before.
 */
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
