import { describe, expect, it } from 'vitest';
import { parseUrlTemplate } from './url-template.js';

describe('parseUrlTemplate', () => {
  it('keeps the origin the integrator reads', () => {
    expect(parseUrlTemplate('https://api.example.com:8443/p/{id}?x={y}').origin).toBe('https://api.example.com:8443');
  });

  it('refuses a backslash in the host, which URL parsers read as the end of the host', () => {
    // new URL('https://good.example\\@evil.example') has host good.example, which is not what a reader sees.
    expect(() => parseUrlTemplate('https://evil.example\\@good.example/p')).toThrow(/unexpected character after the host/);
  });
});
