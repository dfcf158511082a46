/** A problem tied to one field of an input, named by its dotted path (e.g. `parameters[1].name`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export interface SwitchboardErrorOptions {
  /** A sentence the voice agent can say to the caller. Defaults to a neutral apology. */
  readonly agentMessage?: string;
  readonly fieldErrors?: readonly FieldProblem[];
  readonly cause?: unknown;
}

const DEFAULT_AGENT_MESSAGE = "I'm sorry, I couldn't complete that just now.";

/**
 * The one error type Switchboard throws on purpose. `reason` is a stable code callers can branch on;
 * `message` is for the integrator and logs; `agentMessage` is safe to speak on a call. Neither may
 * hold a secret: build them from names and shapes, never from credential or argument values.
 */
export class SwitchboardError extends Error {
  readonly reason: string;
  readonly agentMessage: string;
  readonly fieldErrors: readonly FieldProblem[];

  constructor(reason: string, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchboardError';
    this.reason = reason;
    this.agentMessage = options.agentMessage ?? DEFAULT_AGENT_MESSAGE;
    this.fieldErrors = options.fieldErrors ?? [];
  }
}

export function isSwitchboardError(value: unknown): value is SwitchboardError {
  return value instanceof SwitchboardError;
}

/** Joins field problems into one readable sentence: "a: must be set; b: too long". */
export function describeFieldProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
