import { validateIntegration } from '@switchboard/definition';
import { SwitchboardError, describeFieldProblems } from '@switchboard/errors';
import type { InvocationContext, InvocationDeps, Step, StepResult } from '../types.js';
import { failed } from './end.js';

/**
 * resolve: the definition to run. An unsaved one (Test) must be valid; a saved one comes from the
 * in-memory cache, the same answer for "another org's" and "no such" integration (existence must not
 * leak across orgs), and a disabled one runs only when the mode allows it.
 */
export const resolve: Step = {
  name: 'resolve',
  run({ input, mode }: InvocationContext, deps: InvocationDeps): StepResult {
    if (input.draft) {
      const problems = validateIntegration(input.draft);
      if (problems.length > 0) {
        return failed(new SwitchboardError('INVALID_DEFINITION', `the definition is invalid: ${describeFieldProblems(problems)}`, { fieldErrors: problems }));
      }
      return { integration: input.draft, revision: 0 };
    }
    const cached = deps.definitions.get(input.orgId, input.toolKey);
    if (!cached) return failed(new SwitchboardError('NOT_FOUND', `integration ${input.toolKey} does not exist in org ${input.orgId}`));
    if (!cached.integration.enabled && !mode.runsDisabled) {
      return { revision: cached.revision, ...failed(new SwitchboardError('DISABLED', `integration ${input.toolKey} is disabled`)) };
    }
    return { integration: cached.integration, revision: cached.revision };
  },
};
