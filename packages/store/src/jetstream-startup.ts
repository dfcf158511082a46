import { JetStreamApiError } from '@nats-io/jetstream';
import { isSwitchboardError, SwitchboardError } from '@switchboard/errors';
import { isNatsUnavailable } from './nats-errors.js';
import { retryTransient } from './retry-transient.js';

/** How long start-up keeps asking JetStream when no variable says otherwise (NATS_STARTUP_TIMEOUT_MS). */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * JetStream API codes that mean "the cluster cannot decide yet", not "this request is wrong": 10008
 * (JetStream system temporarily unavailable, no meta leader) and 10005 (no suitable peers: fewer nodes
 * up than the replicas asked for). Both are what a service sees while its cluster is still forming.
 */
const CLUSTER_FORMING_CODES: ReadonlySet<number> = new Set([10008, 10005]);

/**
 * True when a start-up request to JetStream may succeed if asked again: NATS not answering, a cluster
 * still forming, or a store operation refused at once because the connection is down (guardStore's
 * UNAVAILABLE: the client reconnects on its own).
 */
export function isJetStreamStartingUp(err: unknown): boolean {
  return (
    isNatsUnavailable(err) ||
    (err instanceof JetStreamApiError && CLUSTER_FORMING_CODES.has(err.code)) ||
    (isSwitchboardError(err) && err.reason === 'UNAVAILABLE')
  );
}

export interface JetStreamStartupOptions {
  /** How long one step may keep failing before start-up gives up (default 60 s); 0 tries once. */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 500 ms). */
  readonly intervalMs?: number;
  /** Told once, when the first attempt went unanswered and the wait begins, so the service can say why it is not ready. */
  readonly onWaiting?: (step: string, err: Error) => void;
}

/**
 * Runs one idempotent start-up step against JetStream (create a bucket, ensure a stream) and repeats it
 * while JetStream cannot answer: a cluster that is still electing its meta leader leaves requests
 * unanswered until the request's own timeout, and a cluster busy placing replicas can take longer than
 * that. Every service, its NATS cluster and its peers start together in Kubernetes, so a service that
 * gave up on the first unanswered request would crash-loop for no reason of its own. Any other error
 * (a permission refused, a configuration JetStream rejects) is thrown at once. When the time is up, the
 * error names the step, how long it waited and what JetStream last said.
 */
export async function untilJetStreamAnswers<T>(step: string, attempt: () => Promise<T>, options: JetStreamStartupOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return await retryTransient(attempt, isJetStreamStartingUp, {
      timeoutMs,
      intervalMs: options.intervalMs,
      onWaiting: (err) => options.onWaiting?.(step, err),
    });
  } catch (err) {
    // A transient error thrown out of the retries is the last of a wait that ran out.
    throw isJetStreamStartingUp(err) ? jetStreamSilent(step, timeoutMs, err as Error) : err;
  }
}

/** The start-up error once JetStream stayed silent for the whole wait: the step, the wait, and JetStream's last answer. */
function jetStreamSilent(step: string, waitedMs: number, last: Error): SwitchboardError {
  return new SwitchboardError(
    'NATS_UNREACHABLE',
    `${step}: JetStream did not answer within ${waitedMs >= 1_000 ? `${Math.round(waitedMs / 1_000)} s` : `${waitedMs} ms`}; last: ${last.message}. ` +
      'Check that every NATS node is up and the cluster has a JetStream meta leader.',
    { cause: last },
  );
}

/** The log line of a service whose start-up waits for JetStream. */
export const JETSTREAM_SILENT_WARNING = 'not ready: JetStream does not answer yet (a cluster still forming?); retrying';

/** What a start-up sequence needs of a logger (pino's Logger fits). */
export interface StartupLogger {
  warn(fields: object, message: string): void;
}

/** Runs one named, idempotent start-up step against JetStream. */
export type StartupStep = <T>(step: string, attempt: () => Promise<T>) => Promise<T>;

/** The start-up step of a caller that gave none: one attempt, its error thrown as it is. */
export const singleAttempt: StartupStep = (_step, attempt) => attempt();

/**
 * A service's start-up steps against JetStream, each run by `untilJetStreamAnswers` with the service's
 * NATS_STARTUP_TIMEOUT_MS. The wait of each step is logged once, with what JetStream said, so an
 * operator sees why the service is not ready yet without a line every half second.
 */
export function jetStreamStartup(timeoutMs: number, logger: StartupLogger): StartupStep {
  return (step, attempt) =>
    untilJetStreamAnswers(step, attempt, {
      timeoutMs,
      onWaiting: (s, err) => logger.warn({ step: s, err: err.message, waitMs: timeoutMs }, JETSTREAM_SILENT_WARNING),
    });
}
