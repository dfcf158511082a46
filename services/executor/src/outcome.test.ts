import { Outcome } from '@switchboard/contracts';
import { REASONS, SwitchboardError } from '@switchboard/errors';
import { describe, expect, it } from 'vitest';
import { classifyFailure } from './outcome.js';

describe('classifyFailure', () => {
  it("gives a failure its reason's outcome and sentence from the catalogue", () => {
    expect(classifyFailure(new SwitchboardError('UPSTREAM_UNREACHABLE', 'connect ECONNREFUSED'))).toEqual({
      outcome: Outcome.OUTCOME_UPSTREAM_ERROR,
      reason: 'UPSTREAM_UNREACHABLE',
      detail: 'connect ECONNREFUSED',
      agentMessage: REASONS.UPSTREAM_UNREACHABLE.agent,
    });
  });

  it('answers a queue that did not confirm with TIMEOUT (it may still deliver), not INTERNAL by omission', () => {
    const failure = classifyFailure(new SwitchboardError('DELIVERY_QUEUE_UNAVAILABLE', 'no PubAck in time'));
    expect(failure).toMatchObject({ outcome: Outcome.OUTCOME_TIMEOUT, reason: 'DELIVERY_QUEUE_UNAVAILABLE' });
    expect(failure.agentMessage).toBe("I'm not sure that went through; let me check before we go on.");
  });

  it("reads an open breaker as CIRCUIT_OPEN and anything unexpected as INTERNAL, without the error's text", () => {
    expect(classifyFailure(Object.assign(new Error('Breaker is open'), { code: 'EOPENBREAKER' }))).toMatchObject({
      outcome: Outcome.OUTCOME_CIRCUIT_OPEN,
      reason: 'CIRCUIT_OPEN',
      agentMessage: REASONS.CIRCUIT_OPEN.agent,
    });
    const unexpected = classifyFailure(new TypeError('cannot read properties of undefined (secret stuff)'));
    expect(unexpected).toMatchObject({ outcome: Outcome.OUTCOME_INTERNAL, reason: 'INTERNAL', agentMessage: REASONS.INTERNAL.agent });
    expect(unexpected.detail).not.toContain('secret');
  });
});
