import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyPlacement, AuthType, CredentialType, HttpMethod, Outcome, ParameterLocation as In, ParameterType, type Integration } from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { define, invoke, register, startExecutorStack, type DeepPartial } from './helpers.js';
import { verifySignature } from './verify-signature.js';

const SIGNING_SECRET = 'SECRET-whsec-hops-41c9';
const API_KEY = 'SECRET-key-hops-77aa';
const CUSTOM_SECRET = 'SECRET-custom-hops-0b3e';

/**
 * Followed redirects of signed, authenticated integrations through the real executor (issue 26 items
 * 1-2, issue 17 item 3): each hop to the same origin is signed over its own method, path and query,
 * and body, as SECURITY.md's verifier checks it; a hop to another origin (another port here) gets
 * neither a credential nor a signature.
 */
describe('signed requests across redirects, end to end', () => {
  let first: Upstream;
  let other: Upstream;
  let stack: Stack;
  const verdicts: { method: string; url: string; ok: boolean }[] = [];

  beforeAll(async () => {
    other = await startUpstream((_req, res) => json(res, 200, { landed: true }));
    first = await startUpstream((req, res) => {
      verdicts.push({ method: req.method, url: req.url, ok: verifySignature(SIGNING_SECRET, req.method, req.url, req.headers, req.body) });
      const path = req.url.split('?')[0] ?? '';
      if (path === '/hooks/same') {
        res.writeHead(307, { location: '/hooks/after-redirect?x=1' }).end();
        return;
      }
      if (path === '/hooks/see-other') {
        res.writeHead(303, { location: '/hooks/after-redirect?x=2' }).end();
        return;
      }
      if (path === '/hooks/elsewhere') {
        // Sends the caller to another origin, echoing the request's own query (an API key in it too).
        res.writeHead(302, { location: `${other.url}/landing${req.url.slice(path.length)}` }).end();
        return;
      }
      json(res, 200, { ok: true });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });
    await stack.registryClient.putCredential('hops-signing', CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, { value: SIGNING_SECRET });
    await stack.registryClient.putCredential('hops-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    await stack.registryClient.putCredential('hops-custom', CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Client-Secret': CUSTOM_SECRET });
    const hook = (key: string, path: string, extra: DeepPartial<Integration> = {}) =>
      define({
        key,
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${first.url}${path}`,
        maxRedirects: 2,
        signingCredentialId: 'hops-signing',
        auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'hops-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
        parameters: [
          { name: 'text', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY },
          { name: 'who', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY },
        ],
        ...extra,
      });
    await register(
      stack,
      hook('hop_same', '/hooks/same'),
      hook('hop_see_other', '/hooks/see-other'),
      hook('hop_elsewhere_header', '/hooks/elsewhere'),
      hook('hop_elsewhere_query', '/hooks/elsewhere', {
        auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'hops-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'api_key' },
      }),
      hook('hop_elsewhere_custom', '/hooks/elsewhere', { auth: { type: AuthType.AUTH_TYPE_CUSTOM_HEADERS, credentialId: 'hops-custom' } }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await first?.close();
    await other?.close();
  });

  it('signs both hops of a 307 (the POST again) and of a 303 (now a GET without a body) so the receiver verifies each', async () => {
    verdicts.length = 0;
    const kept = await invoke(stack, 'hop_same', { text: 'Zoë said "hi"', who: 'a+b' });
    expect(kept.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    const turned = await invoke(stack, 'hop_see_other', { text: 'bye' });
    expect(turned.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(verdicts.map((v) => `${v.method} ${v.url.split('?')[0]} ${v.ok}`)).toEqual([
      'POST /hooks/same true',
      'POST /hooks/after-redirect true',
      'POST /hooks/see-other true',
      'GET /hooks/after-redirect true',
    ]);
  });

  it('Test of a saved and of an unsaved definition signs every hop too', async () => {
    verdicts.length = 0;
    const saved = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'hop_same', argumentsJson: '{"text":"t"}' });
    expect(saved.result?.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    const draft = define({
      key: 'hop_draft',
      method: HttpMethod.HTTP_METHOD_POST,
      urlTemplate: `${first.url}/hooks/see-other`,
      maxRedirects: 1,
      signingCredentialId: 'hops-signing',
    });
    const unsaved = await stack.executorClient.test({ orgId: stack.orgId, integration: draft, argumentsJson: '{}' });
    expect(unsaved.result?.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(verdicts).toHaveLength(4);
    expect(verdicts.every((v) => v.ok)).toBe(true);
  });

  it.each(['hop_elsewhere_header', 'hop_elsewhere_query', 'hop_elsewhere_custom'])(
    'sends no credential and no signature to another origin (%s)',
    async (toolKey) => {
      other.requests.length = 0;
      const res = await invoke(stack, toolKey, { text: 'x', who: 'w' });
      expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
      expect(other.requests).toHaveLength(1);
      const landed = other.requests[0];
      expect(landed?.url).toMatch(/^\/landing\?/);
      expect(landed?.url).toContain('who=w');
      expect(landed?.headers['x-switchboard-signature']).toBeUndefined();
      expect(landed?.headers['x-switchboard-timestamp']).toBeUndefined();
      expect(JSON.stringify(landed)).not.toContain('SECRET');
    },
  );
});
