import { describe, expect, it } from 'vitest';
import { originAllowed, originSet } from './origin-policy.js';

describe('Origin', () => {
  it('lets requests without Origin through and browser origins only when allow-listed', () => {
    const allowed = originSet(['https://Agent.example.com']);
    expect(originAllowed(undefined, allowed)).toBe(true);
    expect(originAllowed('https://agent.example.com', allowed)).toBe(true);
    expect(originAllowed('https://evil.example', allowed)).toBe(false);
    expect(originAllowed('http://127.0.0.1:8090', allowed)).toBe(false);
    expect(originAllowed('null', allowed)).toBe(false);
  });
});
