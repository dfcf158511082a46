import { reasonEntry, type Reason } from './reasons.js';

/** A problem tied to one field of an input, named by its dotted path (e.g. `parameters[1].name`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export interface SwitchboardErrorOptions {
  readonly fieldErrors?: readonly FieldProblem[];
  readonly cause?: unknown;
  /**
   * Facts a caller acts on, sent as gRPC metadata next to the reason (WRONG_SHARD names the owning
   * shard). Keys start with `x-switchboard-`; values are routing facts, never a secret.
   */
  readonly metadata?: Readonly<Record<`x-switchboard-${string}`, string>>;
}

/**
 * The one error type Switchboard throws on purpose. `reason` is a stable code from the catalogue
 * (REASONS), which also gives its outcome, statuses and the sentence the agent may say; `message` is
 * for the integrator and logs. Neither may hold a secret: build messages from names and shapes,
 * never from credential or argument values.
 */
export class SwitchboardError extends Error {
  readonly reason: Reason;
  readonly fieldErrors: readonly FieldProblem[];
  readonly metadata: Readonly<Record<string, string>>;

  constructor(reason: Reason, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchboardError';
    this.reason = reason;
    this.fieldErrors = options.fieldErrors ?? [];
    this.metadata = options.metadata ?? {};
  }

  /** The sentence safe to speak on a call, from the catalogue. */
  get agentMessage(): string {
    return reasonEntry(this.reason).agent;
  }
}

export function isSwitchboardError(value: unknown): value is SwitchboardError {
  return value instanceof SwitchboardError;
}

/** Joins field problems into one readable sentence: "a: must be set; b: too long". */
export function describeFieldProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
