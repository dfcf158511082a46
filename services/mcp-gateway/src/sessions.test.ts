import { describe, expect, it } from 'vitest';
import { SessionTable, type McpSession } from './sessions.js';

const A = { orgId: 'clinic-a', tokenId: 'aaaaaaaaaaaaaaaa' };

function session(id: string, closed: string[], principal = A): McpSession {
  return { id, principal, callId: `call-${id}`, jsonOnly: false, handle: () => Promise.resolve(), close: () => Promise.resolve(void closed.push(id)) };
}

describe('MCP sessions of one replica', () => {
  it('gives a session back only to a request with a token of the same org and id', () => {
    const table = new SessionTable(10, 60_000);
    table.add(session('s1', []));
    expect(table.use('s1', A)?.callId).toBe('call-s1');
    expect(table.use('s1', { ...A, tokenId: 'bbbbbbbbbbbbbbbb' })).toBeUndefined();
    expect(table.use('s1', { ...A, orgId: 'clinic-b' })).toBeUndefined();
    expect(table.use('nope', A)).toBeUndefined();
    void table.closeAll();
  });

  it('closes the least recently used session when full, and sessions idle too long', () => {
    let now = 0;
    const closed: string[] = [];
    const table = new SessionTable(2, 1_000, () => now);
    table.add(session('s1', closed));
    now = 10;
    table.add(session('s2', closed));
    now = 20;
    table.use('s1', A);
    table.add(session('s3', closed));
    expect(closed).toEqual(['s2']);
    expect(table.size).toBe(2);
    now = 1_015;
    table.sweep();
    expect(closed).toEqual(['s2']);
    now = 1_021;
    table.sweep();
    expect(closed.sort()).toEqual(['s1', 's2', 's3']);
    expect(table.size).toBe(0);
    void table.closeAll();
  });
});
