import { SwitchboardError, describeFieldProblems } from '@switchboard/errors';
import { parseArgumentsJson, validateArguments } from '../../arguments.js';
import { redactArguments } from '../../redact.js';
import type { After, Step, StepResult } from '../types.js';
import { failed } from './end.js';

/** arguments: the model's arguments (Test: the definition's samples when none) checked against the parameters. */
export const checkArguments: Step = {
  name: 'arguments',
  run({ input, mode, integration }: After<'integration'>): StepResult {
    const json = input.argumentsJson || (mode.sampleArguments ? JSON.stringify(integration.sampleArguments ?? {}) : '');
    const validated = validateArguments(integration, parseArgumentsJson(json));
    if (!validated.ok) {
      return failed(
        new SwitchboardError('INVALID_ARGUMENTS', `the arguments are invalid: ${describeFieldProblems(validated.problems)}`, {
          fieldErrors: validated.problems,
        }),
      );
    }
    const values = validated.values;
    return { values, argumentsJson: JSON.stringify(redactArguments(integration, values)) };
  },
};
