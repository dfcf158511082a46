import { Outcome, type AuditEvent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { PendingIntents, unknownOutcomeOf, UNKNOWN_ERROR } from './pending-intents.js';

function intent(id: string): AuditEvent {
  return {
    schemaVersion: 1, invocationId: id, orgId: 'org', callId: 'call', toolKey: 'book', time: new Date(0), test: false, gate: undefined,
    request: { method: 'POST', url: 'https://api.example.test/bookings', headers: [], body: '{}' }, argumentsJson: '{}',
    outcome: Outcome.OUTCOME_UNSPECIFIED, reason: '', httpStatus: 0, latencyMs: 0, breakerState: '', retries: 0, resultBytes: 0, error: '',
    integrationRevision: 3, intent: true,
  };
}

describe('PendingIntents', () => {
  it('hands back the held message when the outcome comes, and nothing falls due after', () => {
    const pending = new PendingIntents<string>(1_000);
    pending.hold(intent('a'), 'msg-a', 0);
    expect(pending.complete('a')).toBe('msg-a');
    expect(pending.takeDue(5_000)).toEqual([]);
    expect(pending.complete('b')).toBeUndefined();
  });

  it('lets an intent fall due only after its time, counted from when it first arrived', () => {
    const pending = new PendingIntents<string>(1_000);
    pending.hold(intent('a'), 'first', 0);
    pending.hold(intent('a'), 'redelivered', 900);
    expect(pending.takeDue(999)).toEqual([]);
    const due = pending.takeDue(1_000);
    expect(due.map((d) => d.msg)).toEqual(['redelivered']);
    expect(pending.size).toBe(0);
  });

  it('turns a lone intent into a complete OUTCOME_UNKNOWN record that says why', () => {
    const record = unknownOutcomeOf(intent('a'));
    expect(record).toMatchObject({ invocationId: 'a', intent: false, outcome: Outcome.OUTCOME_UNKNOWN, reason: 'EXECUTOR_STOPPED', error: UNKNOWN_ERROR });
    expect(record.request?.method).toBe('POST');
  });

  it('tells the server it is still working on messages held long', () => {
    const pending = new PendingIntents<string>(60_000);
    pending.hold(intent('a'), 'msg-a', 0);
    pending.hold(intent('b'), 'msg-b', 8_000);
    const touched: string[] = [];
    pending.touch(10_000, 5_000, (m) => touched.push(m));
    expect(touched).toEqual(['msg-a']);
  });
});
