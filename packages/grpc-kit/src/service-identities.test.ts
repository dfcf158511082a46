import { describe, expect, it } from 'vitest';
import { parseServiceIdentities, tokenVariableOf } from './service-identities.js';

const knownMethods = ['Invoke', 'Test', 'ListDeliveries', 'RetryDelivery'];
const env = {
  SERVICE_TOKEN_CONSOLE: 'console-token-0123456789',
  SERVICE_TOKEN_MCP_GATEWAY: 'gateway-token-0123456789',
  SERVICE_TOKEN_RUNTIME: 'runtime-token-0123456789',
};
const parse = (spec: string | undefined, overrides: Partial<Parameters<typeof parseServiceIdentities>[1]> = {}) =>
  parseServiceIdentities(spec, { knownMethods, env, clientCertificates: false, ...overrides });

describe('SERVICE_IDENTITIES', () => {
  it('reads one identity per calling service, its allow-list and its token', () => {
    const ids = parse('console:*; mcp-gateway:Invoke ; runtime:Invoke,Test');
    expect(ids.map((i) => [i.name, i.methods === '*' ? '*' : [...i.methods].join('|'), i.tokens])).toEqual([
      ['console', '*', [env.SERVICE_TOKEN_CONSOLE]],
      ['mcp-gateway', 'Invoke', [env.SERVICE_TOKEN_MCP_GATEWAY]],
      ['runtime', 'Invoke|Test', [env.SERVICE_TOKEN_RUNTIME]],
    ]);
    expect(tokenVariableOf('mcp-gateway')).toBe('SERVICE_TOKEN_MCP_GATEWAY');
    expect(parse(undefined)).toEqual([]);
    expect(parse('  ')).toEqual([]);
  });

  it('refuses, naming the problem, what would lock a caller out or let two share a credential', () => {
    expect(() => parse('runtime:Invoke,ListTools')).toThrow(/runtime.*ListTools.*does not have/);
    expect(() => parse('console')).toThrow(/name:Method/);
    expect(() => parse('Console:*')).toThrow(/not a valid identity name/);
    expect(() => parse('console:*;console:Invoke')).toThrow(/listed twice/);
    expect(() => parse('console:')).toThrow(/allows no method/);
    expect(() => parse('ci:Invoke')).toThrow(/has no token: set SERVICE_TOKEN_CI/);
    expect(() => parse('console:*', { env: { SERVICE_TOKEN_CONSOLE: 'short' } })).toThrow(/every token in SERVICE_TOKEN_CONSOLE must be at least 16/);
    expect(() => parse('console:*', { env: { SERVICE_TOKEN_CONSOLE: `${env.SERVICE_TOKEN_CONSOLE},short` } })).toThrow(/at least 16/);
    expect(() => parse('console:*;runtime:Invoke', { env: { SERVICE_TOKEN_CONSOLE: 'same-token-0123456789', SERVICE_TOKEN_RUNTIME: 'same-token-0123456789' } })).toThrow(
      /share a token/,
    );
  });

  it('lets an identity go without a token when client certificates name it', () => {
    const [ci] = parse('ci:Invoke', { clientCertificates: true });
    expect(ci?.tokens).toEqual([]);
  });

  it('accepts the new and the old token of an identity during a rotation', () => {
    const [console] = parse('console:*', { env: { SERVICE_TOKEN_CONSOLE: 'new-console-token-0123456789, old-console-token-0123456789' } });
    expect(console?.tokens).toEqual(['new-console-token-0123456789', 'old-console-token-0123456789']);
  });

  it('never echoes a token in its messages', () => {
    const secret = 'same-token-0123456789';
    try {
      parse('console:*;runtime:Invoke', { env: { SERVICE_TOKEN_CONSOLE: secret, SERVICE_TOKEN_RUNTIME: secret } });
    } catch (err) {
      expect(String(err)).not.toContain(secret);
    }
  });
});
