import { resolvePlacedValues } from '../../arguments.js';
import { buildRequest } from '../../request-builder.js';
import type { After, Step, StepResult } from '../types.js';
import { sensitiveStateParameters } from './call-state.js';

/** build: the HTTP request from the definition, the values and what the call knows; no secret yet. */
export const build: Step = {
  name: 'build',
  run(ctx: After<'integration' | 'values'>): StepResult {
    const { input, mode, invocationId, integration, values } = ctx;
    const context = input.context;
    const placed = resolvePlacedValues(integration, values, {
      callId: input.callId || undefined,
      callerNumber: context?.callerNumber || undefined,
      calledNumber: context?.calledNumber || undefined,
      orgId: input.orgId,
      orgTimeZone: context?.orgTimeZone || undefined,
    }, sensitiveStateParameters(ctx));
    const outbound = buildRequest(integration, placed, {
      correlation: mode.correlationHeaders ? { callId: input.callId, orgId: input.orgId, toolKey: input.toolKey } : undefined,
      requestId: invocationId,
      traceparent: input.traceparent,
    });
    return { outbound };
  },
};
