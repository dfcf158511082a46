import type { GateResult } from '../../burden/index.js';
import type { After, InvocationDeps, Step, StepResult } from '../types.js';

/** gate: whether the agent may use the tool now (burden level, confirmation, verification). A block ends the run. */
export const gate: Step = {
  name: 'gate',
  run({ input, mode, integration, values, callState }: After<'integration' | 'values'>, deps: InvocationDeps): StepResult | Promise<StepResult> {
    const decision = deps.gate.decide({
      integration,
      orgId: input.orgId,
      callId: input.callId,
      context: input.context,
      args: values,
      test: mode.bypassGates,
      stateVerifiedLevels: callState?.verifiedLevels,
      acceptsRuntimeVerification: deps.callState?.acceptsRuntimeVerification(input.orgId),
    });
    // Only a confirmation token waits for Redis; every other decision is made without a promise.
    return decision instanceof Promise ? decision.then(factsOf) : factsOf(decision);
  },
};

function factsOf(decision: GateResult): StepResult {
  if (decision.kind === 'block') return { gate: decision.audit, speech: decision.speech, end: { kind: 'blocked', block: decision } };
  return { gate: decision.audit, speech: decision.speech, gateRequirement: decision.requirement };
}
