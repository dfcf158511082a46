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
import type { Logger } from '@switchboard/logging';
import { publishDeadLetter, type DeadLetter } from './dead-letter.js';
import type { DedupeIndex } from './dedupe-index.js';
import type { JsonlWriter } from './jsonl-writer.js';

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
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  /** Told after every batch reached the disk: how many lines and how long the write and fsync took. */
  readonly onWrite?: ((lines: number, ms: number) => void) | undefined;
}

export interface AuditConsumerStats {
  readonly written: number;
  /** Delivered again but already on disk: acked without a second line. */
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly failedBatches: number;
}

export interface RunningAuditConsumer {
  /** Stops pulling, writes and acks what was already delivered, then returns. */
  stop(): Promise<void>;
  stats(): AuditConsumerStats;
}

const NANOS_PER_MS = 1_000_000;
const RETRY_DELAY_MS = 1_000;

/**
 * Runs the durable pull consumer. Every process that names the same consumer shares its messages, so
 * replicas split the work. Messages are written in group commits: while one batch is being written and
 * fsynced, the next accumulates, so the fsync rate follows the disk rather than the message rate.
 */
export async function startAuditConsumer(options: AuditConsumerOptions): Promise<RunningAuditConsumer> {
  await ensureConsumer(options.jsm, options.stream, {
    durable_name: options.consumerName,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: options.ackWaitMs * NANOS_PER_MS,
    max_ack_pending: options.maxAckPending,
    max_deliver: -1,
    filter_subject: auditStreamSubjects(options.subjectPrefix)[0],
  });
  const consumer = await options.js.consumers.get(options.stream, options.consumerName);
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

  constructor(options: AuditConsumerOptions) {
    this.#o = options;
  }

  add(msg: JsMsg): void {
    // After shutdown the message is simply not acked: the server redelivers it to a live replica.
    if (!this.#accepting) return;
    this.#pending.push(msg);
    this.#running ??= this.#run();
  }

  /** Processes everything already delivered, then refuses more. */
  async drain(): Promise<void> {
    while (this.#running !== null) await this.#running;
    this.#accepting = false;
  }

  stats(): AuditConsumerStats {
    return {
      written: this.#written,
      duplicates: this.#duplicates,
      deadLettered: this.#deadLettered,
      failedBatches: this.#failedBatches,
    };
  }

  async #run(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
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

  async #process(batch: readonly JsMsg[]): Promise<void> {
    const events: DecodedMessage[] = [];
    const letters: DeadLetter[] = [];
    for (const msg of batch) {
      try {
        const event = decodeAuditPayload(msg.data, msg.headers?.get(CONTENT_TYPE_HEADER));
        events.push({ msg, id: event.invocationId, line: auditEventToJsonLine(event) });
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
    const seen = new Set<string>();
    for (const e of events) {
      if (index.has(e.id)) onDisk.push(e.msg);
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
        for (const e of fresh) e.msg.ack();
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
    await deadLettering;
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
