import { describe, expect, it } from 'vitest';
import { callContextOf, CONTEXT_META_KEY } from './call-context.js';

describe('call context of a tools/call', () => {
  it('reads the call-long values from X-Switchboard-* headers', () => {
    const ctx = callContextOf(
      { 'x-switchboard-call-id': 'call-1', 'x-switchboard-caller-number': '+14155550123', 'x-switchboard-verification-method': 'otp' },
      undefined,
    );
    expect(ctx.callId).toBe('call-1');
    expect(ctx.context).toMatchObject({ callerNumber: '+14155550123', verification: { method: 'otp', reference: '' }, confirmationToken: '' });
  });

  it('lets _meta override the headers field by field and carry the per-turn values', () => {
    const ctx = callContextOf(
      { 'x-switchboard-call-id': 'call-1', 'x-switchboard-org-time-zone': 'Europe/Paris' },
      { [CONTEXT_META_KEY]: { callId: 'call-2', confirmationToken: 'tok', callerRequest: { asked: true, utterance: 'book it' } } },
    );
    expect(ctx.callId).toBe('call-2');
    expect(ctx.context).toMatchObject({ orgTimeZone: 'Europe/Paris', confirmationToken: 'tok', callerRequest: { asked: true, utterance: 'book it', turnRef: '' } });
  });

  it('is empty without headers or _meta (the executor then treats the call as unbound)', () => {
    expect(callContextOf({}, { progressToken: 1 })).toEqual({
      callId: '',
      context: { callerNumber: '', calledNumber: '', orgTimeZone: '', callerRequest: undefined, verification: undefined, confirmationToken: '' },
    });
  });

  it('refuses unknown fields, control characters and a reference without a method, naming each field', () => {
    const bad = () => callContextOf({}, { [CONTEXT_META_KEY]: { callId: 'a\nb', surprise: 1 } });
    expect(bad).toThrow(expect.objectContaining({ reason: 'INVALID_CALL_CONTEXT' }) as Error);
    try {
      bad();
    } catch (err) {
      const fields = (err as { fieldErrors: { field: string }[] }).fieldErrors.map((f) => f.field);
      expect(fields).toContain(`_meta.${CONTEXT_META_KEY}.callId`);
    }
    expect(() => callContextOf({ 'x-switchboard-verification-reference': 'r1' }, undefined)).toThrow(/headers\.verification\.method/);
  });
});
