import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import {
  AUDIT_PULL_EXPIRES_MS,
  auditEventToJsonLine,
  auditStreamSubjects,
  CONTENT_TYPE_HEADER,
  decodeAuditPayload,
  ensureConsumer,
  isAuditDecodeError,
} from '@switchboard/audit';
import type { AuditEvent } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logging';
import { singleAttempt, type StartupStep } from '@switchboard/store';
import { publishDeadLetter, type DeadLetter } from './dead-letter.js';
import type { DedupeIndex } from './dedupe-index.js';
import type { JsonlWriter } from './jsonl-writer.js';
import { PendingIntents, unknownOutcomeOf } from './pending-intents.js';

export interface AuditConsumerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly consumerName: string;
  readonly subjectPrefix: string;
  readonly writer: JsonlWriter;
  readonly index: DedupeIndex;
  readonly logger: Logger;
  /** Lines written per fsync at most. */
  readonly batchMax: number;
  /**
   * How long the first message of a batch waits for others before the batch is written (default 0).
   * Each batch costs a write, an fsync and an ack write whatever its size: waiting a few ms turns a
   * trickle of single-event batches into a few larger ones (docs/performance.md). A full batch never waits.
   */
  readonly batchLingerMs?: number | undefined;
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  /** How long a write-ahead intent waits for its outcome before OUTCOME_UNKNOWN is written for it. */
  readonly intentTimeoutMs: number;
  /** Told after every batch reached the disk: how many lines and how long the write and fsync took. */
  readonly onWrite?: ((lines: number, ms: number) => void) | undefined;
  /** Runs the idempotent start-up steps (ensure and look up the consumer) again while JetStream cannot answer yet. */
  readonly startup?: StartupStep | undefined;
}

export interface AuditConsumerStats {
  readonly written: number;
  /** Delivered again but already on disk: acked without a second line. */
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly failedBatches: number;
  /** Intents whose outcome never came, written as OUTCOME_UNKNOWN. */
  readonly unknown: number;
  /** Intents held waiting for their outcome. */
  readonly pendingIntents: number;
}

export interface RunningAuditConsumer {
  /** Stops pulling, writes and acks what was already delivered, then returns. */
  stop(): Promise<void>;
  stats(): AuditConsumerStats;
}

const NANOS_PER_MS = 1_000_000;
const RETRY_DELAY_MS = 1_000;
const INTENT_TICK_MS = 250;

/**
 * Runs the durable pull consumer. Every process that names the same consumer shares its messages, so
 * replicas split the work. Messages are written in group commits: while one batch is being written and
 * fsynced, the next accumulates, so the fsync rate follows the disk rather than the message rate.
 */
export async function startAuditConsumer(options: AuditConsumerOptions): Promise<RunningAuditConsumer> {
  const startup: StartupStep = options.startup ?? singleAttempt;
  await startup('ensure the audit consumer', () =>
    ensureConsumer(options.jsm, options.stream, {
      durable_name: options.consumerName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: options.ackWaitMs * NANOS_PER_MS,
      max_ack_pending: options.maxAckPending,
      max_deliver: -1,
      filter_subject: auditStreamSubjects(options.subjectPrefix)[0],
    }),
  );
  const consumer = await startup('look up the audit consumer', () => options.js.consumers.get(options.stream, options.consumerName));
  const batcher = new BatchWriter(options);
  const messages = await consumer.consume({
    max_messages: Math.min(options.maxAckPending, options.batchMax),
    expires: AUDIT_PULL_EXPIRES_MS,
    callback: (msg) => batcher.add(msg),
  });
  void (async () => {
    for await (const status of messages.status()) options.logger.debug({ status: status.type }, 'audit consumer status');
  })();
  return {
    async stop() {
      messages.stop();
      await batcher.drain();
    },
    stats: () => batcher.stats(),
  };
}

interface DecodedMessage {
  readonly msg: JsMsg;
  readonly id: string;
  readonly line: string;
  readonly event: AuditEvent;
}

/** Turns delivered messages into durable lines, then acks them. */
class BatchWriter {
  readonly #o: AuditConsumerOptions;
  #pending: JsMsg[] = [];
  #running: Promise<void> | null = null;
  #accepting = true;
  #written = 0;
  #duplicates = 0;
  #deadLettered = 0;
  #failedBatches = 0;
  #unknown = 0;
  readonly #intents: PendingIntents<JsMsg>;
  #intentsDue = false;
  readonly #intentTimer: NodeJS.Timeout;
  /** When the oldest message waiting for a batch arrived (performance.now()). */
  #oldestPendingAt = 0;
  /** Ends the linger early: a full batch, or a stop. */
  #wakeLinger: (() => void) | null = null;
  #stopping = false;

  constructor(options: AuditConsumerOptions) {
    this.#o = options;
    this.#intents = new PendingIntents(options.intentTimeoutMs);
    this.#intentTimer = setInterval(() => {
      if (!this.#accepting || this.#intents.size === 0) return;
      // Held intents stay ours while they wait: the server would otherwise redeliver them after ack_wait.
      this.#intents.touch(Date.now(), options.ackWaitMs / 3, (msg) => msg.working());
      this.#intentsDue = true;
      this.#running ??= this.#run();
    }, INTENT_TICK_MS);
    this.#intentTimer.unref();
  }

  add(msg: JsMsg): void {
    // After shutdown the message is simply not acked: the server redelivers it to a live replica.
    if (!this.#accepting) return;
    if (this.#pending.length === 0) this.#oldestPendingAt = performance.now();
    this.#pending.push(msg);
    if (this.#pending.length >= this.#o.batchMax) this.#wakeLinger?.();
    this.#running ??= this.#run();
  }

  /** Processes everything already delivered, then refuses more; held intents go back to the server. */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#wakeLinger?.();
    while (this.#running !== null) await this.#running;
    this.#accepting = false;
    clearInterval(this.#intentTimer);
    this.#intents.clear();
  }

  stats(): AuditConsumerStats {
    return {
      written: this.#written,
      duplicates: this.#duplicates,
      deadLettered: this.#deadLettered,
      failedBatches: this.#failedBatches,
      unknown: this.#unknown,
      pendingIntents: this.#intents.size,
    };
  }

  async #run(): Promise<void> {
    try {
      while (this.#pending.length > 0 || this.#intentsDue) {
        if (this.#intentsDue) {
          this.#intentsDue = false;
          try {
            await this.#expireIntents();
          } catch (err) {
            this.#failedBatches++;
            this.#o.logger.error({ err: describe(err) }, 'unknown outcomes could not be written; the intents will be redelivered');
          }
          continue;
        }
        await this.#linger();
        const batch = this.#pending.splice(0, this.#o.batchMax);
        try {
          await this.#process(batch);
        } catch (err) {
          // Unexpected: leave the batch unacked so the server redelivers it.
          this.#failedBatches++;
          this.#o.logger.error({ err: describe(err), messages: batch.length }, 'audit batch failed; it will be redelivered');
          for (const msg of batch) msg.nak(RETRY_DELAY_MS);
        }
      }
    } finally {
      this.#running = null;
    }
  }

  /** Waits until the oldest pending message is batchLingerMs old, unless the batch is full or the logger stops. */
  async #linger(): Promise<void> {
    const lingerMs = this.#o.batchLingerMs ?? 0;
    if (lingerMs <= 0 || this.#stopping || this.#pending.length >= this.#o.batchMax) return;
    const wait = this.#oldestPendingAt + lingerMs - performance.now();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeLinger = null;
        resolve();
      }, wait);
      this.#wakeLinger = () => {
        clearTimeout(timer);
        this.#wakeLinger = null;
        resolve();
      };
    });
  }

  async #process(batch: readonly JsMsg[]): Promise<void> {
    const events: DecodedMessage[] = [];
    const letters: DeadLetter[] = [];
    for (const msg of batch) {
      try {
        const event = decodeAuditPayload(msg.data, msg.headers?.get(CONTENT_TYPE_HEADER));
        events.push({ msg, id: event.invocationId, line: event.intent ? '' : auditEventToJsonLine(event), event });
      } catch (err) {
        letters.push({
          msg,
          reason: isAuditDecodeError(err) ? err.reason : 'undecodable',
          detail: err instanceof Error ? err.message : 'not an audit event',
        });
      }
    }
    // Dead letters go out while the batch is written: a poison message never holds up the events after it.
    const deadLettering = Promise.all(letters.map((letter) => this.#deadLetter(letter)));

    const { index } = this.#o;
    if (events.some((e) => e.msg.redelivered && !index.has(e.id))) {
      // Another replica may have written it and died before acking: read what they appended since.
      await index.refresh();
    }
    const fresh: DecodedMessage[] = [];
    const onDisk: JsMsg[] = [];
    const repeatsInBatch: JsMsg[] = [];
    const intents: DecodedMessage[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      if (e.event.intent) intents.push(e);
      else if (index.has(e.id)) onDisk.push(e.msg);
      else if (seen.has(e.id)) repeatsInBatch.push(e.msg);
      else {
        seen.add(e.id);
        fresh.push(e);
      }
    }

    for (const msg of onDisk) msg.ack();
    this.#duplicates += onDisk.length;

    if (fresh.length > 0) {
      try {
        const started = performance.now();
        const written = await this.#o.writer.append(fresh.map((e) => e.line));
        this.#o.onWrite?.(fresh.length, performance.now() - started);
        index.record(
          fresh.map((e) => e.id),
          written.date,
          written.file,
        );
        this.#written += fresh.length;
        this.#duplicates += repeatsInBatch.length;
        for (const e of fresh) {
          e.msg.ack();
          // The outcome completes its intent: the intent leaves no line of its own.
          this.#intents.complete(e.id)?.ack();
        }
        for (const msg of repeatsInBatch) msg.ack();
      } catch (err) {
        this.#failedBatches++;
        this.#o.logger.error(
          { err: describe(err), messages: fresh.length },
          'audit batch could not be written; it will be redelivered',
        );
        for (const e of fresh) e.msg.nak(RETRY_DELAY_MS);
        for (const msg of repeatsInBatch) msg.nak(RETRY_DELAY_MS);
      }
    }
    // An intent whose outcome is already on disk is done; the others wait for theirs.
    const now = Date.now();
    for (const e of intents) {
      if (index.has(e.id)) e.msg.ack();
      else this.#intents.hold(e.event, e.msg, now);
    }
    await deadLettering;
  }

  /** Writes OUTCOME_UNKNOWN for every intent whose time ran out without its outcome. */
  async #expireIntents(): Promise<void> {
    const due = this.#intents.takeDue(Date.now());
    if (due.length === 0) return;
    const { index } = this.#o;
    // Another replica may have written the outcome: read what the others appended since.
    await index.refresh();
    const lone = due.filter((d) => !index.has(d.event.invocationId));
    for (const d of due) if (index.has(d.event.invocationId)) d.msg.ack();
    if (lone.length === 0) return;
    try {
      const written = await this.#o.writer.append(lone.map((d) => auditEventToJsonLine(unknownOutcomeOf(d.event))));
      index.record(lone.map((d) => d.event.invocationId), written.date, written.file);
    } catch (err) {
      for (const d of lone) d.msg.nak(RETRY_DELAY_MS);
      throw err;
    }
    this.#unknown += lone.length;
    for (const d of lone) d.msg.ack();
    this.#o.logger.warn({ count: lone.length, invocationIds: lone.slice(0, 20).map((d) => d.event.invocationId) }, 'write-ahead intents without an outcome recorded as OUTCOME_UNKNOWN');
  }

  async #deadLetter(letter: DeadLetter): Promise<void> {
    try {
      await publishDeadLetter(this.#o.js, letter, this.#o.subjectPrefix);
      // No reason text: servers before 2.10 ignore "+TERM <reason>" and would redeliver the message.
      letter.msg.term();
      this.#deadLettered++;
      this.#o.logger.warn(
        { reason: letter.reason, subject: letter.msg.subject, seq: letter.msg.seq },
        'audit message dead-lettered',
      );
    } catch (err) {
      this.#o.logger.error({ err: describe(err), seq: letter.msg.seq }, 'dead-letter publish failed; will retry');
      letter.msg.nak(RETRY_DELAY_MS);
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
