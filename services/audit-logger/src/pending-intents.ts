import { Outcome, type AuditEvent } from '@switchboard/contracts';

/** What the trail says for an intent whose outcome never came (reason EXECUTOR_STOPPED in docs/reasons.md). */
export const UNKNOWN_ERROR = 'the executor stopped while the request was in flight';

/** The complete record written in place of an outcome that never came: the intent, marked OUTCOME_UNKNOWN. */
export function unknownOutcomeOf(intent: AuditEvent): AuditEvent {
  return { ...intent, intent: false, outcome: Outcome.OUTCOME_UNKNOWN, reason: 'EXECUTOR_STOPPED', error: UNKNOWN_ERROR };
}

interface Held<M> {
  readonly event: AuditEvent;
  msg: M;
  readonly dueAt: number;
  touchedAt: number;
}

/**
 * Write-ahead intents the logger holds, unacknowledged, until the outcome with the same invocation id
 * is written (then the intent is acked and leaves no line) or until `timeoutMs` after it arrived (then
 * an OUTCOME_UNKNOWN record is written in its place). Holding the message rather than acking it keeps
 * the pairing durable: a logger that dies gets the intent again from the stream.
 */
export class PendingIntents<M> {
  readonly #held = new Map<string, Held<M>>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.#held.size;
  }

  /** Holds an intent; a redelivery of one already held only replaces the message to ack. */
  hold(event: AuditEvent, msg: M, now: number): void {
    const held = this.#held.get(event.invocationId);
    if (held !== undefined) {
      held.msg = msg;
      held.touchedAt = now;
      return;
    }
    this.#held.set(event.invocationId, { event, msg, dueAt: now + this.timeoutMs, touchedAt: now });
  }

  /** The outcome of this invocation is on disk: its intent's message, to ack, if one is held. */
  complete(invocationId: string): M | undefined {
    const held = this.#held.get(invocationId);
    if (held === undefined) return undefined;
    this.#held.delete(invocationId);
    return held.msg;
  }

  /** Intents whose time ran out, taken out of the set. */
  takeDue(now: number): { event: AuditEvent; msg: M }[] {
    const due: { event: AuditEvent; msg: M }[] = [];
    for (const [id, held] of this.#held) {
      if (held.dueAt > now) continue;
      this.#held.delete(id);
      due.push({ event: held.event, msg: held.msg });
    }
    return due;
  }

  /** Messages held longer than `olderThanMs` since last told the server: tell it again (JetStream "working"). */
  touch(now: number, olderThanMs: number, working: (msg: M) => void): void {
    for (const held of this.#held.values()) {
      if (now - held.touchedAt < olderThanMs) continue;
      held.touchedAt = now;
      working(held.msg);
    }
  }

  /** Gives up holding (shutdown): the server redelivers them to a live logger. */
  clear(): void {
    this.#held.clear();
  }
}
