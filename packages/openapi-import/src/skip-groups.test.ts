import { describe, expect, it } from 'vitest';
import { groupSkipped } from './skip-groups.js';

describe('groupSkipped', () => {
  it('gives one group per kind and reason, largest first, each operation once', () => {
    const oauth = 'its security cannot be sent (OAuth 2 authorizationCode…): choose the auth with --auth';
    const skipped = [
      { operation: 'getA', what: 'cookie parameter session', why: 'is a cookie' },
      ...['listA', 'listB', 'listC'].map((operation) => ({ operation, what: 'operation', why: oauth })),
      { operation: 'getB', what: 'cookie parameter theme', why: 'is a cookie' },
      { operation: 'getB', what: 'cookie parameter lang', why: 'is a cookie' },
    ];
    expect(groupSkipped(skipped)).toEqual([
      { what: 'operation', why: oauth, operations: ['listA', 'listB', 'listC'] },
      { what: 'cookie parameter', why: 'is a cookie', operations: ['getA', 'getB'] },
    ]);
  });
});
