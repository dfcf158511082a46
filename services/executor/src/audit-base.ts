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
  const identity = 'input' in id ? identityOf(id) : id;
  return {
    schemaVersion: 1,
    invocationId: identity.invocationId,
    orgId: identity.orgId,
    callId: identity.callId,
    toolKey: identity.toolKey,
    time: identity.time ?? new Date(),
    test: identity.test ?? false,
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
    integrationRevision: identity.integrationRevision,
    intent: false,
    callState: undefined,
  };
}

function identityOf(ctx: InvocationContext): AuditIdentity {
  return {
    invocationId: ctx.invocationId,
    orgId: ctx.input.orgId,
    callId: ctx.input.callId,
    toolKey: ctx.input.toolKey,
    integrationRevision: ctx.revision ?? 0,
    time: ctx.time,
    test: ctx.mode.test,
  };
}
