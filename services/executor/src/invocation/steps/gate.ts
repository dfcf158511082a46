import type { After, InvocationDeps, Step, StepResult } from '../types.js';

/** gate: whether the agent may use the tool now (burden level, confirmation, verification). A block ends the run. */
export const gate: Step = {
  name: 'gate',
  async run({ input, mode, integration, values, callState }: After<'integration' | 'values'>, deps: InvocationDeps): Promise<StepResult> {
    const decision = await deps.gate.evaluate({
      integration,
      orgId: input.orgId,
      callId: input.callId,
      context: input.context,
      args: values,
      test: mode.bypassGates,
      stateVerifiedLevels: callState?.verifiedLevels,
      acceptsRuntimeVerification: deps.callState?.acceptsRuntimeVerification(input.orgId),
    });
    if (decision.kind === 'block') return { gate: decision.audit, speech: decision.speech, end: { kind: 'blocked', block: decision } };
    return { gate: decision.audit, speech: decision.speech, gateRequirement: decision.requirement };
  },
};
