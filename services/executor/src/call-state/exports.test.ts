import { describe, expect, it } from 'vitest';
import { exportedValues, hideValues, verifierPassed } from './exports.js';

describe('exports', () => {
  const body = { patients: [{ id: 'pat-1', dob: '1961-04-12', tags: [] }], match: true, none: null };

  it('exports what the expressions find, and nothing for null', () => {
    expect(
      exportedValues(
        [
          { name: 'patient_id', expression: 'patients[0].id', sensitive: false },
          { name: 'missing', expression: 'patients[3].id', sensitive: false },
          { name: 'dob', expression: 'patients[0].dob', sensitive: true },
        ],
        body,
      ),
    ).toEqual([
      { name: 'patient_id', value: 'pat-1', sensitive: false },
      { name: 'dob', value: '1961-04-12', sensitive: true },
    ]);
  });

  it('passes a verifier on a truthy condition, or on any answer without one', () => {
    const v = (condition: string) => verifierPassed({ level: 'dob', ttlSeconds: 60, condition }, body);
    expect(v('')).toBe(true);
    expect(v('match')).toBe(true);
    expect(v('none')).toBe(false);
    expect(v('patients[0].tags')).toBe(false);
    expect(v("patients[0].dob == '1970-01-01'")).toBe(false);
  });

  it('hides sensitive values from the result and the summary', () => {
    const mapped = { result: { dob: '1961-04-12', nested: { list: ['1961-04-12', 'x'] } }, resultJson: '', truncated: false, summary: 'Born 1961-04-12.' };
    const hidden = hideValues(mapped, ['1961-04-12']);
    expect(hidden.resultJson).toBe('{"dob":"[REDACTED]","nested":{"list":["[REDACTED]","x"]}}');
    expect(hidden.summary).toBe('Born [REDACTED].');
    expect(hideValues(mapped, [])).toBe(mapped);
  });
});
