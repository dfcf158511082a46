import { CallContext, MAX_CALL_ID_LENGTH } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { callScopeProblems } from './call-scope.js';

describe('callScopeProblems', () => {
  it('accepts the call ids telephony sends, and none', () => {
    for (const id of ['', 'CA0123456789abcdef0123456789abcdef', '4f1c2d3e-aaaa-bbbb-cccc-0123456789ab', 'a84b4c76e66710@pc33.atlanta.com']) {
      expect(callScopeProblems(id, undefined), id).toEqual([]);
    }
    expect(callScopeProblems('x'.repeat(MAX_CALL_ID_LENGTH), undefined)).toEqual([]);
  });

  it('refuses a call id over the limit (8 KB and more) or one that cannot go in a header', () => {
    for (const id of ['x'.repeat(MAX_CALL_ID_LENGTH + 1), 'x'.repeat(9 * 1024), 'call\r\nX-Admin: 1', 'call 1', 'appel-é']) {
      expect(callScopeProblems(id, undefined).map((p) => p.field), JSON.stringify(id.slice(0, 20))).toEqual(['call_id']);
    }
  });

  it('refuses context texts that could not be placed in a header', () => {
    const context = CallContext.fromPartial({ callerNumber: '+1555\r\n', calledNumber: '+1'.repeat(200), orgTimeZone: 'Europe/Paris' });
    expect(callScopeProblems('c-1', context).map((p) => p.field)).toEqual(['context.caller_number', 'context.called_number']);
    expect(callScopeProblems('c-1', CallContext.fromPartial({ callerNumber: '+14155550123', orgTimeZone: 'America/New_York' }))).toEqual([]);
  });
});
