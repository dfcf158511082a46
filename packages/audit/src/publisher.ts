import { JetStreamApiError } from '@nats-io/jetstream';
import { ClosedConnectionError, type NatsConnection } from '@nats-io/transport-node';
import type { AuditEvent } from '@switchboard/contracts';
import { BoundedQueue } from './bounded-queue.js';
import { encodeAuditEvent } from './codec.js';
import { silentLogger, type AuditLogger } from './logger.js';
import { decodeSpoolEnvelope, encodeSpoolEnvelope } from './spool-envelope.js';
import type { AuditSpool, SpoolWait } from './spool.js';
import { StreamPublisher } from './stream-publish.js';
import { auditSubject, DEFAULT_AUDIT_SUBJECT_PREFIX } from './subjects.js';

export interface AuditPublisherOptions {
  /** Events held at most (waiting plus in flight); beyond it new events are dropped and counted. */
  readonly maxBuffered: number;
  /** Concurrent publishes awaiting a PubAck (default 64). */
  readonly maxInFlight?: number | undefined;
  readonly subjectPrefix?: string | undefined;
  readonly logger?: AuditLogger | undefined;
  /** How long one attempt waits for its PubAck before it is retried with the same msgID (default 5 s). */
  readonly publishTimeoutMs?: number | undefined;
  /** Retry delay: doubles from initial to max, with jitter (defaults 100 ms and 2 s). */
  readonly retryInitialMs?: number | undefined;
  readonly retryMaxMs?: number | undefined;
  /**
   * Attempts the server may explicitly reject (an API error, not an outage) before the event is dropped;
   * such rejections rarely heal, and retrying them forever would pin a slot (default 5).
   */
  readonly maxRejections?: number | undefined;
  /** At most one drop warning per interval; the count of the rest follows at its end (default 10 s). */
  readonly dropLogIntervalMs?: number | undefined;
  /**
   * A disk spool (see AuditSpool): it holds write-ahead intents (`publishDurable`), the outcomes that
   * complete them (`publishSpooled`), and every event the full memory buffer cannot take, until the
   * stream acknowledges them; records left by an earlier process are replayed. Without it a full
   * buffer drops.
   */
  readonly spool?: AuditSpool | undefined;
  /**
   * How long a new event may wait for others before the publishes go out (default 0: the next turn of
   * the event loop). Every socket write to NATS also wakes the server (and the logger behind it), which
   * costs far more CPU than the publish itself when calls come one at a time; waiting a few ms lets the
   * events of several calls leave in one write. A full batch (maxInFlight events) never waits.
   */
  readonly lingerMs?: number | undefined;
}

export interface AuditPublisherStats {
  /** Waiting for a publish slot. */
  readonly buffered: number;
  readonly inFlight: number;
  /** Acknowledged by the stream, duplicates included. */
  readonly published: number;
  /** Acknowledged as a duplicate: an earlier attempt with the same msgID had been stored. */
  readonly duplicates: number;
  readonly dropped: number;
  readonly retries: number;
  /** Written to the disk spool instead of the memory buffer (intents, their outcomes, overflow). */
  readonly spooled: number;
  /**
   * Intents never published because their outcome was read back from the spool in the same batch:
   * the outcome completes the call's record on its own (the intent only stands in for an outcome
   * that may never come).
   */
  readonly intentsSettled: number;
}

export type AuditDropReason = 'buffer_full' | 'spool_full' | 'unencodable' | 'missing_invocation_id' | 'rejected' | 'closed';

export interface PendingEvent {
  readonly subject: string;
  readonly bytes: Uint8Array;
  readonly msgID: string;
  /** Read back from the spool: the segment to acknowledge once the stream holds it. */
  readonly segment?: number | undefined;
  /** The segment of this outcome's intent, settled without being published: acknowledged with it. */
  readonly intentSegment?: number | undefined;
}

/** The message id of an event: an intent's differs from its outcome's, so the stream keeps both. */
const INTENT_SUFFIX = ':intent';

export function auditMessageId(event: Pick<AuditEvent, 'invocationId' | 'intent'>): string {
  return event.intent ? `${event.invocationId}${INTENT_SUFFIX}` : event.invocationId;
}

/**
 * Drops from a batch read back from the spool every intent whose outcome is in the same batch, and
 * hands its segment to the outcome, acknowledged once the stream holds the outcome. Calls that finish
 * within the publisher's linger window (most of them) then cost the stream and the logger one event,
 * not two; an intent whose outcome is not on disk yet is published as before.
 */
export function settleIntents(batch: readonly PendingEvent[]): PendingEvent[] {
  const outcomes = new Map<string, number>();
  for (let i = 0; i < batch.length; i++) {
    const id = (batch[i] as PendingEvent).msgID;
    if (!id.endsWith(INTENT_SUFFIX)) outcomes.set(id, i);
  }
  if (outcomes.size === batch.length) return [...batch];
  const out: (PendingEvent | undefined)[] = [...batch];
  for (let i = 0; i < batch.length; i++) {
    const intent = batch[i] as PendingEvent;
    if (!intent.msgID.endsWith(INTENT_SUFFIX)) continue;
    const at = outcomes.get(intent.msgID.slice(0, -INTENT_SUFFIX.length));
    if (at === undefined) continue;
    out[i] = undefined;
    out[at] = { ...(batch[at] as PendingEvent), intentSegment: intent.segment };
  }
  return out.filter((e): e is PendingEvent => e !== undefined);
}

const DEFAULTS = {
  maxInFlight: 64,
  publishTimeoutMs: 5_000,
  retryInitialMs: 100,
  retryMaxMs: 2_000,
  maxRejections: 5,
  dropLogIntervalMs: 10_000,
};

/**
 * Publishes audit events without ever making an invocation wait for NATS. `publish` only encodes and
 * enqueues; a background pump keeps up to maxInFlight publishes outstanding. Each event is published
 * with its invocation id as the JetStream msgID and retried with that same id while NATS is away, so an
 * attempt that timed out after the server stored it is deduplicated by the stream (within its duplicate
 * window) instead of recorded twice.
 */
export class AuditPublisher {
  readonly #stream: StreamPublisher;
  readonly #queue: BoundedQueue<PendingEvent>;
  readonly #maxBuffered: number;
  readonly #maxInFlight: number;
  readonly #prefix: string;
  readonly #logger: AuditLogger;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #maxRejections: number;
  readonly #dropLogIntervalMs: number;
  readonly #lingerMs: number;

  #inFlight = 0;
  #published = 0;
  #duplicates = 0;
  #dropped = 0;
  #retries = 0;
  #spooled = 0;
  #intentsSettled = 0;
  #closed = false;
  readonly #spool: AuditSpool | undefined;
  #spoolReading = false;

  #lastDropLog = Number.NEGATIVE_INFINITY;
  #unloggedDrops = new Map<AuditDropReason, number>();
  #dropLogTimer: NodeJS.Timeout | null = null;
  #lastFailureLog = Number.NEGATIVE_INFINITY;

  readonly #retryTimers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  #idleWaiters: (() => void)[] = [];

  /**
   * Publishes on `nc`, whose status feed it follows: on reconnect every publish waiting out a back-off
   * is retried at once, so a full buffer drains as soon as NATS is back instead of dropping new events
   * for up to `retryMaxMs` more.
   */
  constructor(nc: NatsConnection, options: AuditPublisherOptions) {
    if (!Number.isInteger(options.maxBuffered) || options.maxBuffered < 1) {
      throw new RangeError('maxBuffered must be a positive integer');
    }
    this.#maxBuffered = options.maxBuffered;
    this.#queue = new BoundedQueue(options.maxBuffered);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULTS.maxInFlight);
    this.#prefix = options.subjectPrefix ?? DEFAULT_AUDIT_SUBJECT_PREFIX;
    this.#logger = options.logger ?? silentLogger;
    this.#stream = new StreamPublisher(nc, options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs);
    this.#retryInitialMs = options.retryInitialMs ?? DEFAULTS.retryInitialMs;
    this.#retryMaxMs = options.retryMaxMs ?? DEFAULTS.retryMaxMs;
    this.#maxRejections = options.maxRejections ?? DEFAULTS.maxRejections;
    this.#dropLogIntervalMs = options.dropLogIntervalMs ?? DEFAULTS.dropLogIntervalMs;
    this.#spool = options.spool;
    this.#lingerMs = Math.max(0, options.lingerMs ?? 0);
    // Spooled records become readable only once their group commit wrote them: drain from then on.
    this.#spool?.onReadable(() => this.#schedulePump());
    this.#resumeOnReconnect(nc);
    // Records an earlier process left in the spool go out first.
    if (this.#spool?.hasUnread()) this.#schedulePump();
  }

  /** Ends every back-off now: the outage they were waiting out is over. */
  resume(): void {
    for (const retry of this.#retryTimers) {
      clearTimeout(retry.timer);
      retry.wake();
    }
    this.#retryTimers.clear();
  }

  #resumeOnReconnect(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) {
        if (this.#closed) break;
        if (status.type === 'reconnect') this.resume();
        // A refused publish (a permissions violation) gets no PubAck: its attempt times out and is
        // retried; the server's reason is logged here, where the client reports it.
        else if (status.type === 'error') this.#logFailure(status.error);
      }
    })();
  }

  /** Never blocks and never throws: the event is queued, or dropped and counted. */
  publish(event: AuditEvent): void {
    if (this.#closed) return this.#drop('closed');
    const pending = this.#encode(event);
    if (pending === null) return;
    if (this.#queue.length + this.#inFlight >= this.#maxBuffered) {
      if (this.#spool === undefined) return this.#drop('buffer_full');
      if (!this.#spool.append(encodeSpoolEnvelope(pending))) return this.#drop('spool_full');
      this.#spooled++;
    } else {
      this.#queue.push(pending);
    }
    this.#schedulePump();
  }

  /**
   * A write-ahead intent: resolves once the event is on disk in the spool (one fdatasync shared with
   * every concurrent call), so a request sent afterwards is on record whatever happens to the process.
   * Never rejects: without a spool, with the disk budget spent or a failing disk, the event takes the
   * memory path instead (the call goes on; the spool's `refused` count and the log say so).
   */
  publishDurable(event: AuditEvent): Promise<void> {
    return this.#spoolAndWait(event, 'synced');
  }

  /**
   * The outcome that completes an intent: appended to the spool, resolving once its group commit
   * wrote it (no fdatasync wait), so it survives the process being killed, though not a crash of the
   * machine before the commit's fdatasync. Never rejects; falls back to `publish`.
   */
  publishSpooled(event: AuditEvent): Promise<void> {
    return this.#spoolAndWait(event, 'written');
  }

  async #spoolAndWait(event: AuditEvent, wait: SpoolWait): Promise<void> {
    if (this.#closed || this.#spool === undefined) return this.publish(event);
    const pending = this.#encode(event);
    if (pending === null) return;
    let stored = false;
    try {
      stored = await this.#spool.append(encodeSpoolEnvelope(pending), wait);
    } catch (err) {
      this.#logFailure(err);
    }
    if (!stored) return this.publish(event);
    this.#spooled++;
    this.#schedulePump();
  }

  /** For a graceful stop that ran out of time: what still waits in memory goes to the spool, on disk. */
  async spill(): Promise<number> {
    if (this.#spool === undefined) return 0;
    let spilled = 0;
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      if (this.#spool.append(encodeSpoolEnvelope(next))) spilled++;
      else this.#drop('spool_full');
    }
    await this.#spool.sync();
    return spilled;
  }

  #encode(event: AuditEvent): PendingEvent | null {
    if (event.invocationId === '') {
      this.#drop('missing_invocation_id');
      return null;
    }
    try {
      // Encoding now snapshots the event: the caller may reuse or change the object afterwards.
      return {
        subject: auditSubject(event.orgId, event.toolKey, this.#prefix),
        bytes: encodeAuditEvent(event),
        msgID: auditMessageId(event),
      };
    } catch {
      this.#drop('unencodable');
      return null;
    }
  }

  #pumpScheduled = false;
  #lingerTimer: NodeJS.Timeout | null = null;

  /**
   * Publishes once per event-loop turn rather than once per event (or, with lingerMs, once per linger
   * window): the events of a busy turn then leave together, and the NATS client writes the socket once
   * for them instead of once each.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    if (this.#lingerMs > 0 && this.#queue.length < this.#maxInFlight && !this.#closed) {
      this.#lingerTimer ??= setTimeout(() => {
        this.#lingerTimer = null;
        this.#pump();
      }, this.#lingerMs);
      return;
    }
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  stats(): AuditPublisherStats {
    return {
      buffered: this.#queue.length,
      inFlight: this.#inFlight,
      published: this.#published,
      duplicates: this.#duplicates,
      dropped: this.#dropped,
      retries: this.#retries,
      spooled: this.#spooled,
      intentsSettled: this.#intentsSettled,
    };
  }

  /** Resolves true once every admitted event is acknowledged (or dropped), false if the time runs out. */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.#isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#idleWaiters.push(waiter);
    });
  }

  /**
   * Stops accepting events and gives up on what is still waiting, counting it as dropped; a publish
   * already in flight completes, or is dropped instead of retried. Call flush first for a graceful
   * shutdown. Returns how many waiting events were abandoned.
   */
  close(): number {
    if (this.#closed) return 0;
    this.#closed = true;
    if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    const abandoned = this.#queue.clear();
    for (let i = 0; i < abandoned; i++) this.#drop('closed');
    this.resume();
    this.#closeStreamWhenDone();
    this.#flushDropLog();
    return abandoned;
  }

  #pump(): void {
    if (this.#lingerTimer !== null) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
    }
    this.#drainSpool();
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      this.#inFlight++;
      void this.#send(next);
    }
  }

  /** Reads spooled records back from the disk into free publish slots, oldest first. */
  #drainSpool(): void {
    const spool = this.#spool;
    if (spool === undefined || this.#spoolReading || this.#closed || !spool.hasUnread()) return;
    const room = this.#maxInFlight - this.#inFlight;
    if (room <= 0) return;
    this.#spoolReading = true;
    // The slots are taken now so the memory queue cannot fill them while the disk is read.
    this.#inFlight += room;
    void spool
      .read(room)
      .then(
        (records) => {
          const events = settleIntents(records.map((r) => ({ ...decodeSpoolEnvelope(r.payload), segment: r.segment })));
          this.#intentsSettled += records.length - events.length;
          this.#inFlight -= room - events.length;
          for (const event of events) void this.#send(event);
        },
        (err: unknown) => {
          this.#inFlight -= room;
          this.#logFailure(err);
        },
      )
      .finally(() => {
        this.#spoolReading = false;
        this.#closeStreamWhenDone();
        this.#pump();
        if (this.#isIdle()) this.#wakeIdle();
      });
  }

  async #send(event: PendingEvent): Promise<void> {
    let attempt = 0;
    let rejections = 0;
    for (;;) {
      if (this.#closed) {
        // A spooled record stays on disk for the next start; only a memory one is lost.
        if (event.segment === undefined) this.#drop('closed');
        break;
      }
      try {
        const ack = await this.#stream.publish(event.subject, event.bytes, event.msgID);
        this.#published++;
        if (ack.duplicate) this.#duplicates++;
        this.#ackSpooled(event);
        break;
      } catch (err) {
        if (err instanceof ClosedConnectionError) {
          // The service closed its connection: nothing will ever deliver this event.
          this.#closed = true;
          if (event.segment === undefined) this.#drop('closed');
          break;
        }
        if (err instanceof JetStreamApiError && ++rejections >= this.#maxRejections) {
          this.#logger.error(
            { invocationId: event.msgID, subject: event.subject, code: err.code, error: err.message },
            'audit event rejected by the stream; dropped',
          );
          this.#drop('rejected');
          this.#ackSpooled(event);
          break;
        }
        this.#logFailure(err);
        attempt++;
        this.#retries++;
        await this.#sleep(this.#backoff(attempt));
      }
    }
    this.#inFlight--;
    this.#closeStreamWhenDone();
    this.#pump();
    if (this.#isIdle()) this.#wakeIdle();
  }

  /** Closed: the PubAck inbox goes once no publish (or spool read holding slots) is in flight. */
  #closeStreamWhenDone(): void {
    if (this.#closed && this.#inFlight === 0) this.#stream.close();
  }

  #ackSpooled(event: PendingEvent): void {
    if (event.segment !== undefined) this.#spool?.ack(event.segment);
    if (event.intentSegment !== undefined) this.#spool?.ack(event.intentSegment);
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#retryMaxMs, this.#retryInitialMs * 2 ** Math.min(attempt - 1, 20));
    // Jitter keeps the in-flight slots from retrying in lockstep after an outage.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#retryTimers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.#retryTimers.add(entry);
    });
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#inFlight === 0 && !this.#spoolReading && !(this.#spool?.hasUnread() ?? false);
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #drop(reason: AuditDropReason): void {
    this.#dropped++;
    this.#unloggedDrops.set(reason, (this.#unloggedDrops.get(reason) ?? 0) + 1);
    const now = Date.now();
    if (now - this.#lastDropLog >= this.#dropLogIntervalMs) {
      this.#flushDropLog();
    } else if (this.#dropLogTimer === null) {
      // Drops inside the interval are reported together at its end, so a burst is never silent.
      this.#dropLogTimer = setTimeout(() => this.#flushDropLog(), this.#lastDropLog + this.#dropLogIntervalMs - now);
      this.#dropLogTimer.unref();
    }
  }

  #flushDropLog(): void {
    if (this.#dropLogTimer !== null) {
      clearTimeout(this.#dropLogTimer);
      this.#dropLogTimer = null;
    }
    if (this.#unloggedDrops.size === 0) return;
    const byReason = Object.fromEntries(this.#unloggedDrops);
    const count = [...this.#unloggedDrops.values()].reduce((a, b) => a + b, 0);
    this.#unloggedDrops.clear();
    this.#lastDropLog = Date.now();
    this.#logger.warn(
      { dropped: count, byReason, droppedTotal: this.#dropped, maxBuffered: this.#maxBuffered },
      'audit events dropped',
    );
  }

  #logFailure(err: unknown): void {
    const now = Date.now();
    if (now - this.#lastFailureLog < this.#dropLogIntervalMs) return;
    this.#lastFailureLog = now;
    this.#logger.warn(
      {
        error: err instanceof Error ? err.message : String(err),
        buffered: this.#queue.length,
        inFlight: this.#inFlight,
      },
      'audit publish failed; retrying with the same message id',
    );
  }
}
