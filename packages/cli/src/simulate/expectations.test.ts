import { describe, expect, it } from 'vitest';
import { checkExpectations } from './expectations.js';

const booked = {
  outcome: 'SUCCESS',
  reason: 'OK',
  httpStatus: 201,
  spoken: [
    { when: 'start' as const, text: 'Booking that for you now.' },
    { when: 'after' as const, text: "You're booked for 2025-03-03 14:00." },
  ],
  upstreamRequests: 1,
  audit: { events: [], missing: [], unavailable: '' },
};

describe('turn expectations', () => {
  it('holds when the turn did what the script says, "says" matching any spoken line case-insensitively', () => {
    const results = checkExpectations({ outcome: 'SUCCESS', says: "you're BOOKED for", httpStatus: 201, upstreamRequests: 1 }, booked);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
  });

  it('fails each expectation that does not hold, saying what happened instead', () => {
    const results = checkExpectations({ outcome: 'CONFIRMATION_REQUIRED', says: 'Shall I book', httpStatus: 200, upstreamRequests: 0 }, booked);
    expect(results).toEqual([
      { ok: false, expected: 'outcome CONFIRMATION_REQUIRED', actual: 'outcome SUCCESS (OK)' },
      { ok: false, expected: 'says "Shall I book"', actual: `the agent said "Booking that for you now. You're booked for 2025-03-03 14:00."` },
      { ok: false, expected: 'HTTP 200', actual: 'HTTP 201' },
      { ok: false, expected: '0 upstream request(s)', actual: '1 upstream request(s)' },
    ]);
  });

  it('cannot confirm an upstream count without the audit events', () => {
    const [r] = checkExpectations({ upstreamRequests: 1 }, { ...booked, upstreamRequests: undefined, audit: { events: [], missing: [], unavailable: 'cannot reach NATS' } });
    expect(r).toEqual({ ok: false, expected: '1 upstream request(s)', actual: 'unknown: the audit events could not be read (cannot reach NATS)' });
  });

  it('checks the call state set so far by name', () => {
    const withState = { ...booked, callState: ['patient_id'] };
    expect(checkExpectations({ state: ['patient_id'] }, withState)).toEqual([{ ok: true, expected: 'call state patient_id: set', actual: 'call state patient_id: set' }]);
    expect(checkExpectations({ state: ['patient_id', 'dob'] }, withState)[0]?.ok).toBe(false);
    expect(checkExpectations({ state: ['patient_id'] }, booked)).toEqual([{ ok: false, expected: 'call state patient_id: set', actual: 'no call state set' }]);
  });
});
