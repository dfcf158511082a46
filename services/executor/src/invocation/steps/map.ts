import { maxResultBytesOf } from '@switchboard/definition';
import { mapResponse, parseResponseBody } from '../../response-mapper.js';
import type { After, Step, StepResult } from '../types.js';

/** map: the upstream's answer turned into the result and summary the model sees; the run ends here. */
export const map: Step = {
  name: 'map',
  run({ integration, values, sent }: After<'integration' | 'values' | 'sent'>): StepResult {
    const contentType = sent.headers['content-type'];
    const body = parseResponseBody(Array.isArray(contentType) ? contentType[0] : contentType, sent.body);
    return { end: { kind: 'success', mapped: mapResponse(integration.responseMapping, body, values, maxResultBytesOf(integration)) } };
  },
};
