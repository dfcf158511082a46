import { status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '@switchboard/logging';
import { CallerAuth } from './caller-auth.js';
import { refusal, toServiceError } from './status-mapping.js';

/** Calls in flight and whether the service is draining, shared by its handlers and its shutdown. */
export class CallGate {
  inFlight = 0;
  draining = false;

  readonly idle = (): boolean => this.inFlight === 0;
}

export interface UnaryHandlerOptions {
  /** Names the service in logs and in the draining refusal ("executor is shutting down"). */
  readonly service: string;
  readonly logger: Logger;
  /**
   * Who may call which method for which org. Every call is authenticated and authorized before it
   * counts or runs; without it (and without `serviceToken`), calls are not authenticated.
   */
  readonly auth?: CallerAuth | undefined;
  /** Shorthand for an `auth` with this one full-access token (the compatibility mode). */
  readonly serviceToken?: string | undefined;
  /** Counts calls in flight and refuses new ones (UNAVAILABLE, reason DRAINING) once draining began. */
  readonly gate: CallGate;
  /**
   * Turns a failure that is not a SwitchboardError into one before it is answered (say, a NATS
   * timeout into "the store is not reachable"); without it, such a failure is INTERNAL.
   */
  readonly translate?: (err: unknown) => unknown;
}

/** One unary method whose reply is a projection of what it ran, with work left for after the reply. */
export interface UnaryMethod<Req, Res, Out> {
  readonly run: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Out>;
  readonly reply: (out: Out) => Res;
  /**
   * Runs on the event loop's turn after the reply was written, so the caller never waits on it (the
   * executor queues the audit event here). The call counts as in flight until it returned.
   */
  readonly afterReply?: (out: Out) => void;
}

/**
 * The one adapter from async functions to grpc-js handlers, shared by every Switchboard gRPC service:
 * it refuses calls while draining, authenticates and authorizes the caller (caller-auth.ts), counts
 * calls in flight, answers errors with the reason catalogue's status (x-switchboard-reason and field
 * errors in the metadata), logs what the caller cannot fix, and runs the after-reply work.
 */
export class UnaryHandlers {
  private readonly auth: CallerAuth;

  constructor(private readonly options: UnaryHandlerOptions) {
    this.auth = options.auth ?? new CallerAuth({ legacyToken: options.serviceToken });
  }

  /** A method that answers what `run` returns. */
  unary<Req, Res>(method: string, run: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
    return this.method<Req, Res, Res>(method, { run, reply: (res) => res });
  }

  method<Req, Res, Out>(method: string, spec: UnaryMethod<Req, Res, Out>): handleUnaryCall<Req, Res> {
    const { gate } = this.options;
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      if (gate.draining) {
        callback(refusal('DRAINING', `${this.options.service} is shutting down; retry on another replica`));
        return;
      }
      gate.inFlight++;
      void this.serve(method, spec, call, callback);
    };
  }

  /**
   * One call, as one async function rather than a chain of promises and closures (fewer allocations
   * per call on the executor's hot path). A refused caller, a run that throws before its first
   * await, or a reply that cannot be made, is answered like a run that rejects.
   */
  private async serve<Req, Res, Out>(method: string, spec: UnaryMethod<Req, Res, Out>, call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): Promise<void> {
    const { gate } = this.options;
    let out: Out;
    let res: Res;
    try {
      await this.admit(method, call);
      out = await spec.run(call.request, call);
      res = spec.reply(out);
    } catch (err) {
      gate.inFlight--;
      callback(this.answer(method, err));
      return;
    }
    try {
      callback(null, res);
    } finally {
      const afterReply = spec.afterReply;
      if (afterReply) this.after(method, () => afterReply(out), gate);
      else gate.inFlight--;
    }
  }

  /** Authenticates the caller, then authorizes the method and the request's org, before anything is read. */
  private async admit<Req, Res>(method: string, call: ServerUnaryCall<Req, Res>): Promise<void> {
    const caller = await this.auth.authenticate(call);
    this.auth.authorize(caller, method, (call.request as { orgId?: unknown }).orgId);
  }

  private after(method: string, work: () => void, gate: CallGate): void {
    setImmediate(() => {
      try {
        work();
      } catch (err) {
        this.options.logger.error({ err, method }, 'after-reply work failed');
      } finally {
        gate.inFlight--;
      }
    });
  }

  private answer(method: string, err: unknown) {
    const mapped = toServiceError(this.options.translate ? this.options.translate(err) : err);
    if (mapped.code === status.INTERNAL) this.options.logger.error({ err, method }, 'unexpected error in handler');
    else if (mapped.code === status.UNAVAILABLE) this.options.logger.warn({ err, method }, 'a dependency is not answering');
    return mapped;
  }
}
