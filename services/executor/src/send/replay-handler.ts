import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';

/**
 * Prepares the next attempt of a request: resolves to its dispatch options (the same, or with new
 * headers), or rejects with the error the caller should see instead.
 */
export type Replay = () => Promise<Dispatcher.DispatchOptions>;

/**
 * What an interceptor decides for one request: on a response head or a failure, either nothing
 * (the answer goes to the caller as it is) or a replay (the answer is read and dropped, then the
 * request goes again).
 */
export interface ReplayPolicy {
  onStatus(status: number, headers: IncomingHttpHeaders): Replay | undefined;
  onError(err: Error): Replay | undefined;
}

/**
 * The caller's one controller for the whole life of a request, whichever attempt is on the wire
 * (like undici's RetryController): an abort reaches the current attempt, or the next one before it
 * starts; a pause survives the switch to a new attempt.
 */
class AttemptController implements Dispatcher.DispatchController {
  target: Dispatcher.DispatchController | undefined;
  abortReason: Error | undefined;
  private pausedByCaller = false;

  attach(target: Dispatcher.DispatchController): void {
    this.target = target;
    if (this.abortReason) target.abort(this.abortReason);
    else if (this.pausedByCaller) target.pause();
  }

  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.target?.abort(reason);
  }

  pause(): void {
    this.pausedByCaller = true;
    this.target?.pause();
  }

  resume(): void {
    this.pausedByCaller = false;
    this.target?.resume();
  }

  get aborted(): boolean {
    return this.abortReason !== undefined || (this.target?.aborted ?? false);
  }

  get paused(): boolean {
    return this.pausedByCaller || (this.target?.paused ?? false);
  }

  get reason(): Error | null {
    return this.abortReason ?? this.target?.reason ?? null;
  }

  get rawHeaders(): Dispatcher.DispatchController['rawHeaders'] {
    return this.target?.rawHeaders ?? null;
  }

  get rawTrailers(): Dispatcher.DispatchController['rawTrailers'] {
    return this.target?.rawTrailers ?? null;
  }
}

/**
 * Runs one request through `dispatch` as many times as its policy asks. The caller sees one request:
 * one `onRequestStart`, then the answer of the last attempt (or its error). A replayed answer's body
 * is read to its end and dropped, so its connection stays usable.
 */
export class ReplayHandler implements Dispatcher.DispatchHandler {
  private readonly controller = new AttemptController();
  private started = false;
  /** The caller has seen an answer's head: from then on nothing is replayed. */
  private forwarded = false;
  /** Set while a replayed answer's body is being drained. */
  private pending: Replay | undefined;

  constructor(
    private readonly dispatch: Dispatcher.Dispatch,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly policy: ReplayPolicy,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller.attach(controller);
    if (this.started) return;
    this.started = true;
    this.handler.onRequestStart?.(this.controller, context);
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.handler.onRequestUpgrade?.(this.controller, statusCode, headers, socket);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.pending = this.controller.abortReason ? undefined : this.policy.onStatus(statusCode, headers);
    if (this.pending) return;
    this.forwarded = true;
    this.handler.onResponseStart?.(this.controller, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.pending) this.handler.onResponseData?.(this.controller, chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    const replay = this.pending;
    if (!replay) {
      this.handler.onResponseEnd?.(this.controller, trailers);
      return;
    }
    this.pending = undefined;
    this.replay(replay);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    // A failure while a dropped answer drains, or before any answer: the policy may still replay.
    const replay = this.controller.abortReason || this.forwarded ? undefined : this.policy.onError(err);
    this.pending = undefined;
    if (replay) this.replay(replay);
    else this.handler.onResponseError?.(this.controller, err);
  }

  private replay(next: Replay): void {
    this.controller.target = undefined;
    next().then(
      (opts) => {
        if (this.controller.abortReason) {
          this.handler.onResponseError?.(this.controller, this.controller.abortReason);
          return;
        }
        try {
          this.dispatch(opts, this);
        } catch (err) {
          this.handler.onResponseError?.(this.controller, err instanceof Error ? err : new Error(String(err)));
        }
      },
      (err: unknown) => this.handler.onResponseError?.(this.controller, err instanceof Error ? err : new Error(String(err))),
    );
  }
}
