import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { SwitchboardError } from '@switchboard/errors';
import { findEgressBlockedError } from './egress/index.js';
import { wireUrl, type OutboundRequest } from './outbound-request.js';

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
  readonly dispatcher?: Dispatcher;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Why a send failed, with the reason codes the invoke pipeline maps to outcomes. */
function classifySendError(err: unknown, signal: AbortSignal): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  const blocked = findEgressBlockedError(err);
  if (blocked) return blocked;
  const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : '';
  if (signal.aborted || TIMEOUT_CODES.has(code)) {
    return new SwitchboardError('TIMEOUT', 'the upstream did not answer within the time budget', {
      agentMessage: 'That system is taking too long to answer right now.',
    });
  }
  return new SwitchboardError('UPSTREAM_UNREACHABLE', `the upstream could not be reached${code ? ` (${code})` : ''}`, {
    agentMessage: "I can't reach that system right now.",
    cause: err,
  });
}

/**
 * Sends one request through the shared, egress-guarded pool with undici's `request` (not `fetch`:
 * less overhead, and it exposes the body stream so the size cap can stop reading early).
 */
export async function sendRequest(req: OutboundRequest, dispatcher: Dispatcher, options: SendOptions): Promise<SentResponse> {
  const started = performance.now();
  let firstByteMs = 0;
  try {
    const res = await request(wireUrl(req), {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: options.maxRedirects > 0 ? withRedirects(dispatcher, options.maxRedirects) : dispatcher,
      signal: options.signal,
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
 * Stops reading a body and closes its connection. The error listener comes first: destroying an
 * unfinished undici body emits 'error' (UND_ERR_ABORTED), which with no listener crashes the process.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function tooLarge(limit: number): SwitchboardError {
  return new SwitchboardError('RESPONSE_TOO_LARGE', `the upstream response is larger than the ${limit}-byte limit`, {
    agentMessage: 'That system sent back more than I can handle right now.',
  });
}

const redirectDispatchers = new WeakMap<Dispatcher, Map<number, Dispatcher>>();

/** Redirect hops go through the same guarded connector, so every new host is checked again. */
function withRedirects(base: Dispatcher, max: number): Dispatcher {
  let byCount = redirectDispatchers.get(base);
  if (!byCount) redirectDispatchers.set(base, (byCount = new Map()));
  let d = byCount.get(max);
  if (!d) byCount.set(max, (d = base.compose(interceptors.redirect({ maxRedirections: max }))));
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
