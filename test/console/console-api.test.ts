import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { CredentialType } from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { json } from '../support/upstream.js';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { ApiSession, lookupYaml } from './console-fixtures.js';

const SECRET = 'shop-secret-5f0c1e9a7d';

describe('console API: sessions, CSRF and org scoping', () => {
  let h: ConsoleHarness;
  let orgA: string;
  let orgB: string;

  /** The revision org A's definition got when it was created (revisions are the bucket's sequence numbers). */
  let createdRevision: number;
  beforeAll(async () => {
    h = await startConsoleHarness({
      upstream: (req, res) => (req.headers['x-api-key'] === SECRET ? json(res, 200, { status: 'shipped' }) : json(res, 401, { error: 'no key' })),
      consoleEnv: { CONSOLE_TOKEN_RECHECK_MS: '1' },
    });
    orgA = h.stack.orgId;
    orgB = `${orgA}-b`;
    const [integration] = parseIntegrationDocuments(lookupYaml(h.upstream, 'a_lookup'), 'a.yaml').integrations;
    createdRevision = (await h.stack.client(orgA).create(integration!)).revision;
    await h.stack.client(orgA).putCredential('shop-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRET });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('refuses unknown and malformed tokens, and everything before sign-in', async () => {
    const s = new ApiSession(h.url);
    expect((await s.signIn('sbt_' + 'x'.repeat(43))).status).toBe(401);
    expect((await s.signIn('not a token')).status).toBe(401);
    expect(s.cookie).toBe('');
    expect((await s.request('GET', '/api/integrations')).status).toBe(401);
    expect((await s.request('GET', '/api/calls')).status).toBe(401);
  });

  it('signs in with an org token into an HttpOnly, SameSite=Strict, Secure session cookie that holds no token', async () => {
    const token = await h.tokenFor(orgA);
    const res = await fetch(`${h.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(res.status).toBe(201);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-sb_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('Path=/');
    const text = await res.text();
    expect(text).not.toContain(token);
    expect(cookie).not.toContain(token);
    expect(JSON.parse(text)).toMatchObject({ orgId: orgA, csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown });
    expect(h.console.lines().join('\n')).not.toContain(token);
  });

  it('refuses a write without the session CSRF token, with another session\'s, from another origin or as a form', async () => {
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const other = new ApiSession(h.url);
    await other.signIn(await h.tokenFor(orgA));
    const body = { text: lookupYaml(h.upstream, 'csrf_probe') };

    const missing = await a.request('POST', '/api/integrations', body, { 'x-csrf-token': '' });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { reason: string }).reason).toBe('CSRF_REJECTED');
    expect((await a.request('POST', '/api/integrations', body, { 'x-csrf-token': other.csrf })).status).toBe(403);
    expect((await a.request('PUT', '/api/credentials/stolen', { type: 'api_key', secret: { value: 'x' } }, { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await a.request('DELETE', '/api/integrations/a_lookup', undefined, { 'x-csrf-token': '' })).status).toBe(403);
    expect((await a.request('POST', '/api/integrations', body, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await a.request('POST', '/api/integrations', 'text=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    // Nothing was written by any of them.
    await expect(h.stack.client(orgA).get('csrf_probe')).rejects.toMatchObject({ code: 5 });
    expect((await h.stack.client(orgA).listCredentials()).map((c) => c.credentialId)).toEqual(['shop-key']);
    await h.stack.client(orgA).get('a_lookup');

    // The same write with the token goes through.
    expect((await a.request('POST', '/api/integrations', body)).status).toBe(201);
  });

  it("answers another org's integration exactly like a missing one (404), on every route", async () => {
    const b = new ApiSession(h.url);
    await b.signIn(await h.tokenFor(orgB));
    const missing = await b.request('GET', '/api/integrations/no_such_thing');
    expect(missing.status).toBe(404);
    expect((await b.request('GET', '/api/integrations/a_lookup')).status).toBe(404);
    const list = (await (await b.request('GET', '/api/integrations')).json()) as { integrations: { key: string }[] };
    expect(list.integrations.map((i) => i.key)).not.toContain('a_lookup');
    expect((await b.request('PUT', '/api/integrations/a_lookup', { text: lookupYaml(h.upstream, 'a_lookup', { urlTemplate: 'http://127.0.0.1:9/x/{order_id}' }), expectedRevision: 1 })).status).toBe(404);
    expect((await b.request('DELETE', '/api/integrations/a_lookup')).status).toBe(404);
    expect((await b.request('POST', '/api/test', { key: 'a_lookup', arguments: '{"order_id":"o-1"}' })).status).toBe(404);
    const creds = (await (await b.request('GET', '/api/credentials')).json()) as { credentials: unknown[] };
    expect(creds.credentials).toEqual([]);
    // Org A's definition is untouched and its upstream never saw org B.
    const record = await h.stack.client(orgA).get('a_lookup');
    expect(record.revision).toBe(createdRevision);
    expect(record.integration!.urlTemplate).toContain(h.upstream.url);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('runs a Test chain: what a lookup exports is carried into the next Test\'s from-parameter', async () => {
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const exporter = lookupYaml(h.upstream, 'chain_lookup').replace('  summary_template: "The order is {{ status }}."', '  summary_template: "The order is {{ status }}."\n  exports:\n    order_state: status');
    const taker = lookupYaml(h.upstream, 'chain_taker', { urlTemplate: `${h.upstream.url}/orders/{order_id}/{order_state}` }).replace(
      '    in: path\nauth:',
      '    in: path\n  - name: order_state\n    type: string\n    required: true\n    in: path\n    from: call.order_state\nauth:',
    );
    const first = (await (await a.request('POST', '/api/test', { text: exporter, arguments: '{"order_id":"o-1"}' })).json()) as { outcomeName: string; callState: unknown };
    expect(first).toMatchObject({ outcomeName: 'OUTCOME_SUCCESS', callState: [{ name: 'order_state', shown: '"shipped"', sensitive: false }] });
    const second = (await (await a.request('POST', '/api/test', { text: taker, arguments: '', state: '{"order_state":"shipped"}' })).json()) as { outcomeName: string };
    expect(second.outcomeName).toBe('OUTCOME_SUCCESS');
    // The definition's sample arguments, with the carried value in the parameter that takes it.
    expect(h.upstream.requests.at(-1)!.url).toBe('/orders/o-17/shipped');
    expect((await a.request('POST', '/api/test', { text: taker, state: '[1]' })).status).toBe(400);
  });

  it("shows an org only its own calls, and never a credential's value", async () => {
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const test = await a.request('POST', '/api/test', { key: 'a_lookup', arguments: '{"order_id":"o-9"}' });
    const testText = await test.text();
    expect(test.status).toBe(200);
    expect(JSON.parse(testText)).toMatchObject({ outcomeName: 'OUTCOME_SUCCESS', httpStatus: 200, result: { status: 'shipped' } });
    expect(h.upstream.requests.at(-1)!.headers['x-api-key']).toBe(SECRET);
    expect(testText).not.toContain(SECRET);
    await waitFor(() => readAuditLines(h.stack.auditDir).find((r) => r['toolKey'] === 'a_lookup'), 'the audit line');
    const callsA = await waitFor(async () => {
      const body = (await (await a.request('GET', '/api/calls?tool=a_lookup')).json()) as { calls: Record<string, unknown>[] };
      return body.calls.length > 0 ? body.calls : undefined;
    }, 'the call in org A');
    expect(callsA[0]).toMatchObject({ orgId: orgA, toolKey: 'a_lookup', outcome: 'OUTCOME_SUCCESS' });

    const b = new ApiSession(h.url);
    await b.signIn(await h.tokenFor(orgB));
    const callsB = (await (await b.request('GET', '/api/calls')).json()) as { calls: unknown[] };
    expect(callsB.calls).toEqual([]);
    // The charts' numbers are scoped the same way, and the window is checked.
    const statsA = (await (await a.request('GET', '/api/integrations/a_lookup/stats?window=1h')).json()) as { total: number; outcomes: unknown[] };
    expect(statsA.total).toBeGreaterThan(0);
    expect(statsA.outcomes).toContainEqual({ outcome: 'OUTCOME_SUCCESS', count: expect.any(Number) as unknown });
    const statsB = (await (await b.request('GET', '/api/integrations/a_lookup/stats?window=24h')).json()) as { total: number; outcomes: unknown[]; breakerState: string };
    expect(statsB).toMatchObject({ total: 0, outcomes: [], breakerState: '' });
    expect((await a.request('GET', '/api/integrations/a_lookup/stats?window=7d')).status).toBe(400);
    const paged = (await (await a.request('GET', '/api/calls?limit=1&offset=0')).json()) as { calls: unknown[]; total: number; offset: number; limit: number };
    expect(paged).toMatchObject({ offset: 0, limit: 1, total: expect.any(Number) as unknown });
    expect(paged.calls).toHaveLength(1);

    const put = await a.request('PUT', '/api/credentials/shop-key-2', { type: 'api_key', secret: { value: 'another-secret-77aa' } });
    const putText = await put.text();
    expect(put.status).toBe(200);
    expect(putText).not.toContain('another-secret-77aa');
    expect(JSON.parse(putText)).toMatchObject({ id: 'shop-key-2', type: 'api_key', hint: expect.any(String) as unknown });
    const listText = await (await a.request('GET', '/api/credentials')).text();
    expect(listText).not.toContain(SECRET);
    expect(listText).not.toContain('another-secret-77aa');
    expect(h.console.lines().join('\n')).not.toContain(SECRET);
  });

  it('reports a save on top of a stale revision as a conflict and keeps the other save', async () => {
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const created = (await (await a.request('POST', '/api/integrations', { text: lookupYaml(h.upstream, 'conflict_probe') })).json()) as { revision: number };
    const first = await a.request('PUT', '/api/integrations/conflict_probe', { text: lookupYaml(h.upstream, 'conflict_probe').replace('Look up an order', 'First writer'), expectedRevision: created.revision });
    expect(first.status).toBe(200);
    const second = await a.request('PUT', '/api/integrations/conflict_probe', { text: lookupYaml(h.upstream, 'conflict_probe').replace('Look up an order', 'Second writer'), expectedRevision: created.revision });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { reason: string }).reason).toBe('REVISION_CONFLICT');
    expect((await h.stack.client(orgA).get('conflict_probe')).integration!.name).toBe('First writer');
  });

  it('returns validation problems by field path with the editor line', async () => {
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const text = lookupYaml(h.upstream, 'bad_probe', { urlTemplate: 'ftp://example.com/{order_id}' });
    const res = await a.request('POST', '/api/integrations', { text });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { reason: string; fieldErrors: { field: string; line?: number }[] };
    expect(body.reason).toBe('INVALID_DEFINITION');
    const problem = body.fieldErrors.find((f) => f.field === 'url_template');
    expect(problem).toBeDefined();
    expect(problem!.line).toBe(text.split('\n').findIndex((l) => l.startsWith('url_template')) + 1);
  });

  it('ends the session on sign-out and when its token is revoked', async () => {
    const out = new ApiSession(h.url);
    await out.signIn(await h.tokenFor(orgA));
    expect((await out.request('DELETE', '/api/session')).status).toBe(204);
    expect((await out.request('GET', '/api/integrations')).status).toBe(401);

    const created = await h.tokens.create(orgA, 'to-revoke');
    const s = new ApiSession(h.url);
    await s.signIn(created.token);
    expect((await s.request('GET', '/api/integrations')).status).toBe(200);
    expect(await h.tokens.revoke(orgA, created.info.tokenId)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect((await s.request('GET', '/api/integrations')).status).toBe(401);
    expect((await new ApiSession(h.url).signIn(created.token)).status).toBe(401);
  });
});
