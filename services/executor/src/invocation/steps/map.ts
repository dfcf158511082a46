import { maxResultBytesOf } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import { exportedValues, hideValues, verifierPassed } from '../../call-state/index.js';
import { mapResponse, parseResponseBody } from '../../response-mapper.js';
import type { After, Step, StepResult } from '../types.js';

/**
 * map: the upstream's answer turned into the result and summary the model sees; the run ends here.
 * A definition that writes call state also reads its exports (sensitive ones hidden from the result)
 * and, for a verifier, whether the answer verifies the caller; settleCallState writes them.
 */
export const map: Step = {
  name: 'map',
  run({ integration, values, sent, callState }: After<'integration' | 'values' | 'sent'>): StepResult {
    const contentType = sent.headers['content-type'];
    const body = parseResponseBody(Array.isArray(contentType) ? contentType[0] : contentType, sent.body);
    const mapped = mapResponse(integration.responseMapping, body, values, maxResultBytesOf(integration));
    const use = callState?.use;
    if (use === undefined || (use.exports.length === 0 && use.verifier === undefined)) return { end: { kind: 'success', mapped } };
    if (use.verifier !== undefined && !verifierPassed(use.verifier, body)) {
      return { end: { kind: 'failed', error: new SwitchboardError('VERIFICATION_FAILED', `the verifier's answer does not verify the caller (its condition "${use.verifier.condition}" is not met)`) } };
    }
    const exported = exportedValues(use.exports, body);
    const hidden = exported.filter((e) => e.sensitive).map((e) => e.value);
    return { exported, verified: use.verifier !== undefined, end: { kind: 'success', mapped: hideValues(mapped, hidden) } };
  },
};
