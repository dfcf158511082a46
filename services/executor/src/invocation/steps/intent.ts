import { AuditMode, type AuditEvent, type Integration } from '@switchboard/contracts';
import { auditBase } from '../../audit-base.js';
import type { HttpMethodName } from '../../http-method.js';
import type { After, InvocationContext, InvocationDeps, Step, StepResult } from '../types.js';

/** Methods that cannot change the customer's system: their calls need no write-ahead intent. */
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request is written ahead to the audit spool before it goes out: writes, and reads of `audit: strict` integrations. */
export function needsIntent(method: HttpMethodName, integration: Integration): boolean {
  return !READS.has(method) || integration.audit === AuditMode.AUDIT_MODE_STRICT;
}

/**
 * intent: before a request that can change the customer's system goes out (or any request of an
 * integration with `audit: strict`), a write-ahead intent
 * (invocation id, org, tool, the redacted request, time) is on disk in the audit spool; the outcome
 * event completes it. If the process dies before the outcome is recorded, the audit logger turns the
 * lone intent into OUTCOME_UNKNOWN, so no call that reached the upstream goes unrecorded.
 */
export const intent: Step = {
  name: 'intent',
  async run(ctx: After<'integration' | 'outbound' | 'request'>, deps: InvocationDeps): Promise<StepResult> {
    if (deps.auditIntent === undefined || !needsIntent(ctx.outbound.method, ctx.integration)) return {};
    await deps.auditIntent(intentEvent(ctx));
    return { intent: true };
  },
};

/** The intent of a run: what the outcome event will say, less the outcome. */
export function intentEvent(ctx: InvocationContext): AuditEvent {
  return { ...auditBase(ctx), gate: ctx.gate, request: ctx.request, argumentsJson: ctx.argumentsJson ?? '', intent: true };
}
