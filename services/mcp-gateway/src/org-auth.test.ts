import { describe, expect, it } from 'vitest';
import type { OrgTokenInfo } from '@switchboard/org-tokens';
import { authenticate, bearerTokenOf } from './org-auth.js';
import { mcpRouteOf } from './route.js';

const TOKEN = `sbt_${'a'.repeat(43)}`;
const verifier = {
  verify: (token: string): Promise<OrgTokenInfo | undefined> =>
    Promise.resolve(token === TOKEN ? { tokenId: '0123456789abcdef', orgId: 'clinic-a', name: 'mcp', createdAt: '2026-01-01T00:00:00.000Z' } : undefined),
};

describe('org token authentication', () => {
  it('reads only a Bearer authorization', () => {
    expect(bearerTokenOf(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerTokenOf(`bearer  ${TOKEN}`)).toBe(TOKEN);
    expect(bearerTokenOf(`Basic ${TOKEN}`)).toBeUndefined();
    expect(bearerTokenOf(`Bearer ${TOKEN} extra`)).toBeUndefined();
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });

  it('takes the org from the token and refuses a path naming another org', async () => {
    expect(await authenticate(verifier, `Bearer ${TOKEN}`, undefined)).toEqual({ orgId: 'clinic-a', tokenId: '0123456789abcdef' });
    expect(await authenticate(verifier, `Bearer ${TOKEN}`, 'clinic-a')).toMatchObject({ orgId: 'clinic-a' });
    expect(await authenticate(verifier, `Bearer ${TOKEN}`, 'clinic-b')).toBeUndefined();
    expect(await authenticate(verifier, `Bearer sbt_${'b'.repeat(43)}`, undefined)).toBeUndefined();
  });

  it('routes /mcp and /mcp/<org> only', () => {
    expect(mcpRouteOf('/mcp')).toEqual({ orgId: undefined });
    expect(mcpRouteOf('/mcp/clinic-a?x=1')).toEqual({ orgId: 'clinic-a' });
    expect(mcpRouteOf('/mcp/../etc')).toBeUndefined();
    expect(mcpRouteOf('/other')).toBeUndefined();
  });
});
