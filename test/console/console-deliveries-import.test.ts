import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { waitFor } from '../support/audit-files.js';
import { json } from '../support/upstream.js';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { ApiSession, notifyYaml, shopOpenApi } from './console-fixtures.js';

interface DeadLetterBody {
  deliveryId: string;
  toolKey: string;
  attempts: number;
  lastReason: string;
  lastHttpStatus: number;
  lastError: string;
  failedAt: string | null;
}

interface PreviewBody {
  integrations: { key: string; method: string; urlTemplate: string; burden: string; existingRevision: number | null }[];
  skipped: { operation: string; what: string; why: string }[];
  notes: string[];
}

interface ApplyBody {
  results: { key: string; ok: boolean; action?: string; revision?: number; reason?: string }[];
}

describe('console API: dead letters and OpenAPI import', () => {
  let h: ConsoleHarness;
  let orgA: string;
  let orgB: string;
  let receiverUp = false;

  beforeAll(async () => {
    // /notify refuses with a 400 (which a repeat cannot fix: dead-lettered at once) until it is "fixed".
    h = await startConsoleHarness({ upstream: (req, res) => (req.url === '/notify' && !receiverUp ? json(res, 400, { error: 'unknown desk' }) : json(res, 200, { ok: true })) });
    orgA = h.stack.orgId;
    orgB = `${orgA}-b`;
    const [notify] = parseIntegrationDocuments(notifyYaml(h.upstream), 'n.yaml').integrations;
    await h.stack.client(orgA).create(notify!);
  });

  afterAll(async () => {
    await h?.stop();
  });

  const deadLetters = async (s: ApiSession, query = ''): Promise<DeadLetterBody[]> => {
    const res = await s.request('GET', `/api/deliveries${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { deliveries: DeadLetterBody[] }).deliveries;
  };

  it("lists the org's failed deliveries and retries one only with the CSRF token and only in its org", async () => {
    const accepted = await h.stack.executorClient.invoke({ orgId: orgA, toolKey: 'notify_staff', argumentsJson: JSON.stringify({ message: 'call Mrs Lee back' }) });
    const id = accepted.deliveryId!;
    expect(id).toBeTruthy();
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const listed = await waitFor(async () => (await deadLetters(a, '?tool=notify_staff')).find((d) => d.deliveryId === id), 'the dead letter in the console');
    expect(listed).toMatchObject({ toolKey: 'notify_staff', attempts: 1, lastReason: 'HTTP_400', lastHttpStatus: 400, failedAt: expect.any(String) as unknown });
    expect(listed.lastError).toBeTruthy();

    // Another org sees none of it and cannot retry it.
    const b = new ApiSession(h.url);
    await b.signIn(await h.tokenFor(orgB));
    expect(await deadLetters(b)).toEqual([]);
    expect((await b.request('POST', `/api/deliveries/${id}/retry`, {})).status).toBe(404);
    // A retry without the session's CSRF token or from another site is refused and changes nothing.
    expect((await a.request('POST', `/api/deliveries/${id}/retry`, {}, { 'x-csrf-token': '' })).status).toBe(403);
    expect((await a.request('POST', `/api/deliveries/${id}/retry`, {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await deadLetters(a)).map((d) => d.deliveryId)).toContain(id);
    const before = h.upstream.requests.filter((r) => r.url === '/notify').length;

    receiverUp = true;
    const retried = await a.request('POST', `/api/deliveries/${encodeURIComponent(id)}/retry`, {});
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { delivery: DeadLetterBody }).delivery).toMatchObject({ deliveryId: id, toolKey: 'notify_staff' });
    await waitFor(() => (h.upstream.requests.filter((r) => r.url === '/notify').length > before ? true : undefined), 'the retried delivery at the receiver');
    expect((await deadLetters(a)).map((d) => d.deliveryId)).not.toContain(id);
    expect((await a.request('POST', `/api/deliveries/${id}/retry`, {})).status).toBe(404);
  });

  it('previews a pasted OpenAPI document without writing, with what it could not translate', async () => {
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    const res = await a.request('POST', '/api/import/openapi/preview', { text: shopOpenApi(h.upstream) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as PreviewBody;
    expect(body.integrations).toEqual([
      expect.objectContaining({ key: 'get_order', method: 'GET', urlTemplate: `${h.upstream.url}/v1/orders/{order_id}`, burden: 'conversational', existingRevision: null }),
      expect.objectContaining({ key: 'create_order', method: 'POST', urlTemplate: `${h.upstream.url}/v1/orders`, burden: 'confirmed', existingRevision: null }),
    ]);
    expect(body.skipped).toEqual([expect.objectContaining({ operation: 'getOrder', what: 'cookie parameter session' })]);
    expect(body.notes.some((n) => n.includes('review'))).toBe(true);
    await expect(h.stack.client(orgA).get('get_order')).rejects.toMatchObject({ code: 5 });

    const broken = await a.request('POST', '/api/import/openapi/preview', { text: 'openapi: 3.1.0\ninfo: [' });
    expect(broken.status).toBe(422);
    expect(((await broken.json()) as { reason: string; fieldErrors: { field: string }[] })).toMatchObject({ reason: 'INVALID_OPENAPI', fieldErrors: [{ field: 'text' }] });
    const swagger = await a.request('POST', '/api/import/openapi/preview', { text: '{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}' });
    expect(swagger.status).toBe(422);
    expect(((await swagger.json()) as { message: string }).message).toMatch(/Swagger 2\.0/);
    // Pasted text is a document, never a path or URL to read.
    const path = await a.request('POST', '/api/import/openapi/preview', { text: '/etc/passwd' });
    expect(path.status).toBe(422);
    expect((await a.request('POST', '/api/import/openapi/preview', { text: shopOpenApi(h.upstream), serverUrl: 'ftp://x' })).status).toBe(422);
  });

  it('applies the selected operations to the session org only, creates then updates on the shown revision, CSRF-checked', async () => {
    const text = shopOpenApi(h.upstream);
    const a = new ApiSession(h.url);
    await a.signIn(await h.tokenFor(orgA));
    expect((await a.request('POST', '/api/import/openapi/apply', { text, items: [{ key: 'get_order' }] }, { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await a.request('POST', '/api/import/openapi/preview', { text }, { 'x-csrf-token': '' })).status).toBe(403);
    await expect(h.stack.client(orgA).get('get_order')).rejects.toMatchObject({ code: 5 });
    expect((await a.request('POST', '/api/import/openapi/apply', { text, items: [{ key: 'not_in_document' }] })).status).toBe(400);

    const created = await a.request('POST', '/api/import/openapi/apply', { text, items: [{ key: 'get_order' }] });
    expect(created.status).toBe(200);
    const [first] = ((await created.json()) as ApplyBody).results;
    expect(first).toEqual({ key: 'get_order', ok: true, action: 'created', revision: expect.any(Number) as unknown });
    const stored = await h.stack.client(orgA).get('get_order');
    expect(stored.revision).toBe(first!.revision);
    expect(stored.integration!.urlTemplate).toBe(`${h.upstream.url}/v1/orders/{order_id}`);
    await expect(h.stack.client(orgA).get('create_order')).rejects.toMatchObject({ code: 5 });
    await expect(h.stack.client(orgB).get('get_order')).rejects.toMatchObject({ code: 5 });

    // The preview now shows the stored revision; applying on top of it updates, a stale one is a conflict.
    const preview = (await (await a.request('POST', '/api/import/openapi/preview', { text })).json()) as PreviewBody;
    const shown = preview.integrations.find((i) => i.key === 'get_order')!.existingRevision!;
    expect(shown).toBe(stored.revision);
    const changed = text.replace('summary: Look up an order', 'summary: Find an order');
    const updated = (await (await a.request('POST', '/api/import/openapi/apply', { text: changed, items: [{ key: 'get_order', expectedRevision: shown }, { key: 'create_order' }] })).json()) as ApplyBody;
    expect(updated.results).toEqual([
      { key: 'get_order', ok: true, action: 'updated', revision: expect.any(Number) as unknown },
      { key: 'create_order', ok: true, action: 'created', revision: expect.any(Number) as unknown },
    ]);
    const current = (await h.stack.client(orgA).get('get_order')).revision;
    expect(current).toBe(updated.results[0]!.revision);
    expect(current).toBeGreaterThan(shown);
    expect((await h.stack.client(orgA).get('get_order')).integration!.name).toBe('Find an order');
    const stale = (await (await a.request('POST', '/api/import/openapi/apply', { text, items: [{ key: 'get_order', expectedRevision: shown }] })).json()) as ApplyBody;
    expect(stale.results).toEqual([expect.objectContaining({ key: 'get_order', ok: false, reason: 'REVISION_CONFLICT' })]);
    expect((await h.stack.client(orgA).get('get_order')).integration!.name).toBe('Find an order');

    // Org B's import is its own: a create there, org A untouched.
    const b = new ApiSession(h.url);
    await b.signIn(await h.tokenFor(orgB));
    const inB = (await (await b.request('POST', '/api/import/openapi/preview', { text })).json()) as PreviewBody;
    expect(inB.integrations.map((i) => i.existingRevision)).toEqual([null, null]);
    const appliedB = (await (await b.request('POST', '/api/import/openapi/apply', { text, items: [{ key: 'get_order', expectedRevision: current }] })).json()) as ApplyBody;
    expect(appliedB.results).toEqual([expect.objectContaining({ key: 'get_order', ok: false, reason: 'NOT_FOUND' })]);
    expect((await h.stack.client(orgA).get('get_order')).revision).toBe(current);
  });
});
