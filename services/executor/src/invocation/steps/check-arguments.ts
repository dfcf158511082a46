import { SwitchboardError, describeFieldProblems } from '@switchboard/errors';
import { parseArgumentsJson, validateArguments } from '../../arguments.js';
import { redactArguments } from '../../redact.js';
import type { After, Step, StepResult } from '../types.js';
import { failed } from './end.js';

/** arguments: the model's arguments (Test: the definition's samples when none) checked against the parameters. */
export const checkArguments: Step = {
  name: 'arguments',
  run({ input, mode, integration, callState }: After<'integration'>): StepResult {
    const json = input.argumentsJson || (mode.sampleArguments ? JSON.stringify(integration.sampleArguments ?? {}) : '');
    const args = parseArgumentsJson(json);
    const validated = validateArguments(integration, args);
    if (!validated.ok) {
      return failed(
        new SwitchboardError('INVALID_ARGUMENTS', `the arguments are invalid: ${describeFieldProblems(validated.problems)}`, {
          fieldErrors: validated.problems,
        }),
      );
    }
    const argumentsJson = JSON.stringify(redactArguments(integration, validated.values));
    if (callState === undefined) return { values: validated.values, argumentsJson };
    // Parameters `from: call.<name>` take the call state's value, whatever the model sent (audited as
    // overridden); Test has no call, so there they take the Test's arguments.
    const overridden = validated.overridden ?? [];
    const stateValues = mode.test ? pick(args, overridden) : callState.values;
    return { values: { ...validated.values, ...stateValues }, argumentsJson, overridden: mode.test ? [] : overridden };
  },
};

function pick(args: unknown, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof args !== 'object' || args === null) return out;
  for (const name of names) {
    if (Object.hasOwn(args, name)) Object.defineProperty(out, name, { value: (args as Record<string, unknown>)[name], enumerable: true, writable: true, configurable: true });
  }
  return out;
}
