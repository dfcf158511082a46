import { Outcome, type AuditEvent } from '@switchboard/contracts';
import type { InvocationContext } from './invocation/types.js';

/** Who and what an audit event is about: the fields every event the executor writes carries. */
export interface AuditIdentity {
  readonly invocationId: string;
  readonly orgId: string;
  readonly callId: string;
  readonly toolKey: string;
  readonly integrationRevision: number;
  /** Default: now. */
  readonly time?: Date;
  /** A Test run's event; default false. */
  readonly test?: boolean;
}

/**
 * The one place an executor's audit event starts: its identity, and every result field at its empty
 * value for the writer (an invocation's record, its intent, a delivery attempt, a requeue) to fill in.
 * A field added to AuditEvent is added here once.
 */
export function auditBase(id: AuditIdentity | InvocationContext): AuditEvent {
  // An invocation's context is read directly (once per Invoke: no identity object in between).
  if ('input' in id) return withIdentity(id.invocationId, id.input.orgId, id.input.callId, id.input.toolKey, id.revision ?? 0, id.time, id.mode.test);
  return withIdentity(id.invocationId, id.orgId, id.callId, id.toolKey, id.integrationRevision, id.time ?? new Date(), id.test ?? false);
}

function withIdentity(invocationId: string, orgId: string, callId: string, toolKey: string, integrationRevision: number, time: Date, test: boolean): AuditEvent {
  return {
    schemaVersion: 1,
    invocationId,
    orgId,
    callId,
    toolKey,
    time,
    test,
    gate: undefined,
    request: undefined,
    argumentsJson: '',
    outcome: Outcome.OUTCOME_UNSPECIFIED,
    reason: '',
    httpStatus: 0,
    latencyMs: 0,
    breakerState: '',
    retries: 0,
    resultBytes: 0,
    error: '',
    integrationRevision,
    intent: false,
    callState: undefined,
  };
}
