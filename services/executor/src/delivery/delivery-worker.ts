import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { DeliveryState, Outcome, type AuditEvent } from '@switchboard/contracts';
import { reasonEntry } from '@switchboard/errors';
import { auditBase } from '../audit-base.js';
import type { Logger } from '@switchboard/logging';
import type { AttemptReport } from './delivery-attempt.js';
import type { DeadLetterStore } from './dead-letters.js';
import { decodeQueuedDelivery, type QueuedDelivery } from './queued-delivery.js';
import { backoffDelay, nextStep, precheck, type BackoffSettings, type GiveUp, type NextStep } from './retry-policy.js';

/** The limits of one delivery, from its integration as it is now (deliveryOf). */
export interface DeliveryLimits {
  readonly maxAttempts: number;
  readonly maxAgeMs: number;
}

export interface DeliveryWorkerOptions {
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly consumer: string;
  /** Deliveries this replica attempts at once. */
  readonly concurrency: number;
  readonly ackWaitMs: number;
  readonly backoff: BackoffSettings;
  readonly limitsFor: (orgId: string, toolKey: string) => DeliveryLimits;
  readonly attempt: (queued: QueuedDelivery, attempt: number) => Promise<AttemptReport>;
  readonly deadLetters: DeadLetterStore;
  /** `spooled`: the event completes a write-ahead intent, so it goes to the disk spool as well. */
  readonly publishAudit: (event: AuditEvent, spooled?: boolean) => void;
  readonly logger: Logger;
}

export interface DeliveryWorkerStats {
  readonly inFlight: number;
  readonly attempts: number;
  readonly delivered: number;
  readonly retried: number;
  readonly deadLettered: number;
}

const PULL_EXPIRES_MS = 5_000;
const ERROR_PAUSE_MS = 1_000;
const ERROR_LOG_INTERVAL_MS = 10_000;
/** A dead letter that could not be stored is tried again after this long (the message stays queued). */
const DEAD_LETTER_RETRY_MS = 5_000;

/**
 * Takes deliveries from the shared durable consumer, `concurrency` at a time, and settles each:
 *
 * - delivered (2xx): acked, gone from the queue;
 * - failed, worth repeating: `nak(delay)` with Retry-After or back-off, so the server redelivers it to
 *   any replica after the delay (the attempt number is the server's delivery count, plus the attempts
 *   of earlier rounds);
 * - given up (not retryable, attempts or age exhausted): written to the dead letters, then acked; if
 *   the dead letter cannot be written it stays queued and is tried again, never dropped.
 *
 * While an attempt runs the message is kept with `working()` heartbeats (every third of ack_wait); a
 * replica that dies mid-attempt stops them, and the server redelivers the message to another replica
 * once ack_wait has passed. That repeat, and an ack lost on the way, are why delivery is at least once
 * and every request carries the idempotency key. One audit event per attempt.
 */
export class DeliveryWorker {
  private stopping = false;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private counts = { attempts: 0, delivered: 0, retried: 0, deadLettered: 0 };
  private lastErrorLog = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: DeliveryWorkerOptions) {}

  start(): void {
    for (let i = 0; i < this.o.concurrency; i++) void this.loop();
  }

  /** Stops taking messages and waits (at most graceMs) for the attempts in flight to settle. */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      Promise.allSettled([...this.running]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return settled;
  }

  stats(): DeliveryWorkerStats {
    return { inFlight: this.inFlight, ...this.counts };
  }

  private async loop(): Promise<void> {
    let consumer: Consumer | undefined;
    while (!this.stopping) {
      try {
        consumer ??= await this.o.js.consumers.get(this.o.stream, this.o.consumer);
        const msg = await consumer.next({ expires: PULL_EXPIRES_MS });
        if (msg === null) continue;
        if (this.stopping) {
          // Arrived while shutting down: hand it straight to another replica.
          safely(() => msg.nak());
          break;
        }
        const work = this.process(msg);
        this.running.add(work);
        try {
          await work;
        } finally {
          this.running.delete(work);
        }
      } catch (err) {
        if (this.stopping) break;
        consumer = undefined;
        this.logError(err, 'delivery consumer unavailable; retrying');
        await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
      }
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    this.inFlight++;
    const heartbeat = setInterval(() => safely(() => msg.working()), Math.max(250, Math.floor(this.o.ackWaitMs / 3)));
    try {
      let queued: QueuedDelivery;
      try {
        queued = decodeQueuedDelivery(msg.data);
      } catch (err) {
        // Not written by an executor of this version: nothing to attempt or dead-letter.
        this.o.logger.error({ err, stream: this.o.stream, seq: msg.seq, subject: msg.subject }, 'unreadable delivery message terminated');
        safely(() => msg.term());
        return;
      }
      const attemptInWindow = msg.info.deliveryCount;
      const attempt = queued.attemptsBefore + attemptInWindow;
      const limits = this.o.limitsFor(queued.orgId, queued.toolKey);
      const window = { attemptInWindow, maxAttempts: limits.maxAttempts, windowStart: queued.windowStart, maxAgeMs: limits.maxAgeMs };
      const skipped = precheck({ ...window, now: Date.now() });
      let report: AttemptReport;
      let step: NextStep | 'delivered';
      if (skipped) {
        report = notAttempted(queued, skipped);
        step = skipped;
      } else {
        this.counts.attempts++;
        report = await this.o.attempt(queued, attempt);
        if (report.error !== undefined) this.o.logger.error({ err: report.error, deliveryId: queued.deliveryId, attempt }, 'delivery attempt failed unexpectedly');
        step = report.outcome === Outcome.OUTCOME_SUCCESS
          ? 'delivered'
          : nextStep({ ...window, now: Date.now(), retryable: report.retryable, retryAfterMs: report.retryAfterMs, minDelayMs: report.minDelayMs, backoff: this.o.backoff });
      }
      await this.settle(msg, queued, attempt, report, step);
    } finally {
      clearInterval(heartbeat);
      this.inFlight--;
    }
  }

  private async settle(msg: JsMsg, queued: QueuedDelivery, attempt: number, report: AttemptReport, step: NextStep | 'delivered'): Promise<void> {
    const event = attemptEvent(queued, attempt, report);
    if (step === 'delivered') {
      this.counts.delivered++;
      await ackOrLog(msg, this.o.logger, queued.deliveryId);
      event.deliveryState = DeliveryState.DELIVERY_STATE_DELIVERED;
    } else if (step.kind === 'retry') {
      this.counts.retried++;
      safely(() => msg.nak(step.delayMs));
      event.deliveryState = DeliveryState.DELIVERY_STATE_RETRYING;
      event.retryDelayMs = step.delayMs;
    } else {
      try {
        await this.o.deadLetters.put({
          message: queued,
          failedAt: Date.now(),
          attempts: attempt,
          lastOutcome: report.outcome,
          lastReason: report.reason,
          lastHttpStatus: report.httpStatus,
          lastError: report.detail === '' ? step.detail : `${report.detail}; gave up: ${step.detail}`,
          gaveUp: step.reason,
        });
      } catch (err) {
        // The queue keeps it: better late than lost.
        this.logError(err, 'dead letter could not be stored; the delivery stays queued');
        const delay = backoffDelay(1, { baseMs: DEAD_LETTER_RETRY_MS, maxMs: DEAD_LETTER_RETRY_MS * 2 });
        safely(() => msg.nak(delay));
        event.deliveryState = DeliveryState.DELIVERY_STATE_RETRYING;
        event.retryDelayMs = delay;
        event.error = `${event.error}${event.error ? '; ' : ''}giving up (${step.reason}) failed: the dead letter could not be stored`;
        this.o.publishAudit(event, report.intent === true);
        return;
      }
      this.counts.deadLettered++;
      await ackOrLog(msg, this.o.logger, queued.deliveryId);
      event.deliveryState = DeliveryState.DELIVERY_STATE_FAILED;
      event.error = event.error === '' ? step.detail : `${event.error}; gave up: ${step.detail}`;
      this.o.logger.warn({ deliveryId: queued.deliveryId, orgId: queued.orgId, toolKey: queued.toolKey, attempts: attempt, reason: step.reason, last: report.reason }, 'delivery dead-lettered');
    }
    this.o.publishAudit(event, report.intent === true);
  }

  private logError(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog = now;
    this.o.logger.warn({ err }, message);
  }
}

function notAttempted(queued: QueuedDelivery, step: GiveUp): AttemptReport {
  return {
    outcome: Outcome[reasonEntry(step.reason).outcome],
    reason: step.reason,
    httpStatus: 0,
    detail: '',
    retryable: false,
    retryAfterMs: undefined,
    minDelayMs: undefined,
    latencyMs: 0,
    request: undefined,
    argumentsJson: '',
    gate: undefined,
    breakerState: 'closed',
    retries: 0,
    revision: queued.revision,
  };
}

/** The audit event of one attempt; its invocation id `<delivery id>.<attempt>` is unique per attempt. */
export function attemptEvent(queued: QueuedDelivery, attempt: number, r: AttemptReport): AuditEvent {
  return {
    ...auditBase({ invocationId: `${queued.deliveryId}.${attempt}`, orgId: queued.orgId, callId: queued.callId, toolKey: queued.toolKey, integrationRevision: r.revision }),
    gate: r.gate,
    request: r.request,
    argumentsJson: r.argumentsJson,
    outcome: r.outcome,
    reason: r.reason,
    httpStatus: r.httpStatus,
    latencyMs: r.latencyMs,
    breakerState: r.breakerState,
    retries: r.retries,
    error: r.detail,
    deliveryId: queued.deliveryId,
    attempt,
    deliveryState: DeliveryState.DELIVERY_STATE_UNSPECIFIED,
  };
}

async function ackOrLog(msg: JsMsg, logger: Logger, deliveryId: string): Promise<void> {
  try {
    await msg.ackAck({ timeout: 5_000 });
  } catch (err) {
    // The server will redeliver it after ack_wait: a repeat the receiver drops by its idempotency key.
    logger.warn({ err, deliveryId }, 'delivery ack not confirmed; it may be delivered again');
  }
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // A closed or draining connection: the server redelivers after ack_wait.
  }
}
