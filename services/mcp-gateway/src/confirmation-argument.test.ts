import { describe, expect, it } from 'vitest';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { takeConfirmationArgument, withConfirmationArgument } from './confirmation-argument.js';

const schema = { type: 'object' as const, properties: { date: { type: 'string' } }, required: ['date'], additionalProperties: false };
const tool = (level: string): Tool => ({ name: 'book', inputSchema: schema, _meta: { 'switchboard/burden': { level } } });

describe('the confirmation_token argument of confirmed tools', () => {
  it('is added, optional, to confirmed tools only', () => {
    const confirmed = withConfirmationArgument(tool('confirmed'));
    expect(Object.keys(confirmed.inputSchema.properties ?? {})).toEqual(['date', 'confirmation_token']);
    expect(confirmed.inputSchema.required).toEqual(['date']);
    expect(confirmed.inputSchema['additionalProperties']).toBe(false);
    expect(withConfirmationArgument(tool('verified'))).toEqual(tool('verified'));
    expect(withConfirmationArgument({ name: 'x', inputSchema: { type: 'object' } })).toEqual({ name: 'x', inputSchema: { type: 'object' } });
  });

  it('is taken out of the arguments before they reach the executor', () => {
    expect(takeConfirmationArgument({ date: 'd', confirmation_token: 'ct' })).toEqual({ args: { date: 'd' }, token: 'ct' });
    expect(takeConfirmationArgument({ date: 'd' })).toEqual({ args: { date: 'd' }, token: '' });
    // Not a string: left for the executor to refuse with a field error.
    expect(takeConfirmationArgument({ date: 'd', confirmation_token: 7 })).toEqual({ args: { date: 'd', confirmation_token: 7 }, token: '' });
  });
});
