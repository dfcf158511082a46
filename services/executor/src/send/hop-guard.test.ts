import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../../../test/executor/verify-signature.js';
import type { OutboundRequest } from '../outbound-request.js';
import { signRequest } from '../signing.js';
import { guardHop, type Hop } from './hop-guard.js';

const NOW = 1_700_000_000_000;

function signed(): OutboundRequest {
  const req: OutboundRequest = {
    method: 'POST',
    origin: 'https://api.example.com',
    path: '/v1/hooks',
    query: [['api_key', 'k-secret']],
    headers: { 'content-type': 'application/json', 'x-api-key': 'h-secret', 'x-request-id': 'r1' },
    body: '{"a":1}',
    secretHeaders: new Set(['x-api-key']),
    secretQuery: new Set(['api_key']),
  };
  signRequest(req, 'sign-secret', NOW);
  return req;
}

function hopOf(req: OutboundRequest, over: Partial<Hop>): Hop {
  return { origin: req.origin, path: '/v1/hooks?api_key=k-secret', method: req.method, body: req.body ?? '', headers: req.headers, ...over };
}

describe('guardHop', () => {
  it('leaves the request as built alone (the first hop, a retry)', () => {
    const req = signed();
    expect(guardHop(req, hopOf(req, {}), 'sign-secret', NOW)).toBeUndefined();
  });

  it('signs a same-origin redirect over its own method, target and body, so the documented verifier accepts it', () => {
    const req = signed();
    const hop = hopOf(req, { path: '/v1/after-redirect?x=1', method: 'GET', body: '' });
    const guarded = guardHop(req, hop, 'sign-secret', NOW);
    expect(guarded?.path).toBe('/v1/after-redirect?x=1');
    expect(guarded?.headers['x-api-key']).toBe('h-secret');
    expect(verifySignature('sign-secret', 'GET', '/v1/after-redirect?x=1', guarded?.headers ?? {}, '', NOW)).toBe(true);
    // The first hop's signature would not have passed for this one.
    expect(verifySignature('sign-secret', 'GET', '/v1/after-redirect?x=1', req.headers, '', NOW)).toBe(false);
  });

  it.each([
    ['another host', 'https://elsewhere.example.com'],
    ['another port', 'https://api.example.com:8443'],
    ['another scheme', 'http://api.example.com'],
  ])('sends no credential, cookie or signature to %s, and drops credential query parameters', (_label, origin) => {
    const req = signed();
    const hop = hopOf(req, { origin, path: '/landing?api_key=k-secret&keep=1', headers: { ...req.headers, authorization: 'Bearer t', cookie: 'c=1' } });
    const guarded = guardHop(req, hop, 'sign-secret', NOW);
    expect(guarded?.path).toBe('/landing?keep=1');
    expect(guarded?.headers).toEqual({ 'content-type': 'application/json', 'x-request-id': 'r1' });
  });

  it('strips credentials across origins for an unsigned request too', () => {
    const req = signed();
    delete req.headers['x-switchboard-signature'];
    delete req.headers['x-switchboard-timestamp'];
    const guarded = guardHop(req, hopOf(req, { origin: 'https://elsewhere.example.com' }), undefined, NOW);
    expect(Object.keys(guarded?.headers ?? {})).toEqual(['content-type', 'x-request-id']);
    expect(guardHop(req, hopOf(req, { path: '/v1/other' }), undefined, NOW)).toBeUndefined();
  });
});
