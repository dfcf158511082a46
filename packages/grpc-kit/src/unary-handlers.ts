import { status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '@switchboard/logging';
import { checkServiceToken } from './service-token.js';
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
  /** When set, every call must carry `authorization: Bearer <token>`. */
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
 * it checks the service token, refuses calls while draining, counts calls in flight, answers errors
 * with the reason catalogue's status (x-switchboard-reason and field errors in the metadata), logs
 * what the caller cannot fix, and runs the after-reply work.
 */
export class UnaryHandlers {
  constructor(private readonly options: UnaryHandlerOptions) {}

  /** A method that answers what `run` returns. */
  unary<Req, Res>(method: string, run: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
    return this.method<Req, Res, Res>(method, { run, reply: (res) => res });
  }

  method<Req, Res, Out>(method: string, spec: UnaryMethod<Req, Res, Out>): handleUnaryCall<Req, Res> {
    const { gate, serviceToken } = this.options;
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      if (serviceToken !== undefined && !checkServiceToken(call.metadata, serviceToken)) {
        callback(refusal('SERVICE_NOT_AUTHORISED', 'missing or wrong service token'));
        return;
      }
      if (gate.draining) {
        callback(refusal('DRAINING', `${this.options.service} is shutting down; retry on another replica`));
        return;
      }
      gate.inFlight++;
      const done = () => {
        gate.inFlight--;
      };
      // A run that throws before its first await, or a reply that cannot be made, is answered like a
      // run that rejects.
      const replied = new Promise<Out>((resolve) => resolve(spec.run(call.request, call))).then((out) => ({ out, res: spec.reply(out) }));
      replied.then(
        ({ out, res }) => {
          try {
            callback(null, res);
          } finally {
            if (spec.afterReply) this.after(method, () => spec.afterReply!(out), done);
            else done();
          }
        },
        (err: unknown) => {
          done();
          callback(this.answer(method, err));
        },
      );
    };
  }

  private after(method: string, work: () => void, done: () => void): void {
    setImmediate(() => {
      try {
        work();
      } catch (err) {
        this.options.logger.error({ err, method }, 'after-reply work failed');
      } finally {
        done();
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
