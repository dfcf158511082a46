import { describe, expect, it } from 'vitest';
import { answerModeOf } from './accept-header.js';

describe('Accept', () => {
  it('serves event streams only to clients that accept them, and JSON to JSON-only clients', () => {
    expect(answerModeOf('application/json, text/event-stream')).toBe('stream');
    expect(answerModeOf('*/*')).toBe('stream');
    expect(answerModeOf('application/json')).toBe('json');
    expect(answerModeOf('application/*;q=0.9')).toBe('json');
    expect(answerModeOf('text/event-stream')).toBe('none');
    expect(answerModeOf(undefined)).toBe('none');
  });
});
