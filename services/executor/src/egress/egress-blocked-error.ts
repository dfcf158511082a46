import { SwitchboardError } from '@switchboard/errors';

export const EGRESS_BLOCKED = 'EGRESS_BLOCKED';

/** The setting an operator edits to let a blocked destination through. */
export const EGRESS_ALLOW_SETTING = 'SWITCHBOARD_EGRESS_ALLOW';

/**
 * A connection the egress policy refused before any socket was opened. For a host name the message
 * names the range, not the resolved address, so integrators cannot map internal DNS through it.
 */
export class EgressBlockedError extends SwitchboardError {
  /** The host as the URL gave it. */
  readonly host: string;
  /** The range of the first blocked address, e.g. `loopback`, `private`, `link-local`. */
  readonly range: string;
  /** Why the range is refused, for operator logs; may name the resolved address. */
  readonly detail: string;

  constructor(host: string, verdict: { range: string; reason: string }, hostIsAddress: boolean, port?: number) {
    const { range } = verdict;
    const target = port === undefined ? host : `${host} port ${port}`;
    const message = hostIsAddress
      ? `connections to ${target} (${range}) are blocked by the egress policy; add it to ${EGRESS_ALLOW_SETTING} to allow it`
      : `connections to ${target} are blocked by the egress policy because it resolves to an address in the ${range} range; ` +
        `add the host name or its range to ${EGRESS_ALLOW_SETTING} to allow it`;
    super(EGRESS_BLOCKED, message);
    this.name = 'EgressBlockedError';
    this.host = host;
    this.range = range;
    this.detail = verdict.reason;
  }
}

const MAX_CAUSE_DEPTH = 8;

/** Finds an EgressBlockedError in `err` or its `cause` chain: undici and callers may wrap it. */
export function findEgressBlockedError(err: unknown): EgressBlockedError | undefined {
  let current = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (current instanceof EgressBlockedError) return current;
    current = current.cause;
  }
  return undefined;
}

export function isEgressBlockedError(err: unknown): boolean {
  return findEgressBlockedError(err) !== undefined;
}
