import { describe, expect, it } from 'vitest';
import { HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { checkArguments } from './argument-check.js';
import { SharedByText } from './shared-by-text.js';
import { compileTextTemplate, renderTextTemplate } from './text-template.js';
import { expandUrlTemplate, parseUrlTemplate } from './url-template.js';

describe('SharedByText', () => {
  it('compiles a text once, keeps at most its bound (least recently used out) and keeps no failure', () => {
    const shared = new SharedByText<{ text: string }>(2);
    let compiles = 0;
    const compile = (text: string) => {
      compiles++;
      if (text === 'bad') throw new Error('bad text');
      return { text };
    };
    const a = shared.get('a', compile);
    expect(shared.get('a', compile)).toBe(a);
    shared.get('b', compile);
    shared.get('a', compile); // a is now the most recently used
    shared.get('c', compile); // b goes
    expect(compiles).toBe(3);
    expect(shared.get('a', compile)).toBe(a);
    shared.get('b', compile);
    expect(compiles).toBe(4);
    expect(() => shared.get('bad', compile)).toThrow('bad text');
    expect(() => shared.get('bad', compile)).toThrow('bad text');
    expect(compiles).toBe(6);
    expect(shared.size).toBe(2);
  });
});

describe('texts shared across definitions', () => {
  it('the same template text gives one frozen compiled template that renders each call its own values', () => {
    const one = compileTextTemplate('Next visit for {{ args.patient }} at {{ time }}.');
    const two = compileTextTemplate(`Next visit for {{ args.patient }} at {{ ${'time'} }}.`);
    expect(two).toBe(one);
    expect(Object.isFrozen(one)).toBe(true);
    expect(renderTextTemplate(one, { args: { patient: 'Ann' }, time: '09:30' })).toBe('Next visit for Ann at 09:30.');
    expect(renderTextTemplate(two, { args: { patient: 'Bo' }, time: '11:00' })).toBe('Next visit for Bo at 11:00.');
    expect(compileTextTemplate('Next visit at {{ time }}.')).not.toBe(one);
  });

  it('a URL template shared by text expands with each call its own values; a bad one keeps failing', () => {
    const t = parseUrlTemplate('https://pms.example.com/patients/{id}/visits?date={date}');
    expect(parseUrlTemplate(String(t.source))).toBe(t);
    expect(expandUrlTemplate(t, { id: 'p1', date: '2026-01-02' })).toBe('/patients/p1/visits?date=2026-01-02');
    expect(expandUrlTemplate(t, { id: 'p/2', date: '2026-01-03' })).toBe('/patients/p%2F2/visits?date=2026-01-03');
    expect(() => parseUrlTemplate('ftp://x')).toThrow();
    expect(() => parseUrlTemplate('ftp://x')).toThrow();
  });

  it('argument checks are per parameter text: two definitions differing only in a pattern each check their own', () => {
    const def = (pattern: string) =>
      Integration.fromPartial({
        key: 'probe',
        name: 'Probe',
        method: HttpMethod.HTTP_METHOD_GET,
        urlTemplate: 'https://api.example.com/probe',
        parameters: [{ name: 'code', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true, pattern }],
      });
    const digits = def('^[0-9]+$');
    const letters = def('^[a-z]+$');
    expect(checkArguments(digits, { code: '123' }).ok).toBe(true);
    expect(checkArguments(letters, { code: '123' }).ok).toBe(false);
    // A definition decoded again (new objects, the same text) gets the same answers.
    expect(checkArguments(def('^[0-9]+$'), { code: '123' }).ok).toBe(true);
    expect(checkArguments(def('^[0-9]+$'), { code: 'abc' }).ok).toBe(false);
    expect(checkArguments(def('^[a-z]+$'), { code: 'abc' }).ok).toBe(true);
  });
});
