import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { ApiKeyPlacement, AuthType, BurdenLevel, CacheScope } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { json } from '../support/upstream.js';
import { axeViolations, launchChromium, unlabelledControls, type HeadlessBrowser } from './browser.js';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { notifyYaml, shopOpenApi } from './console-fixtures.js';

describe('the console in headless Chromium: failed deliveries and Import from OpenAPI', () => {
  let h: ConsoleHarness;
  let chrome: HeadlessBrowser;
  let page: Page;
  let receiverUp = false;

  beforeAll(async () => {
    h = await startConsoleHarness({ upstream: (req, res) => (req.url === '/notify' && !receiverUp ? json(res, 400, { error: 'unknown desk' }) : json(res, 200, { ok: true })) });
    const [notify] = parseIntegrationDocuments(notifyYaml(h.upstream), 'n.yaml').integrations;
    await h.stack.client(h.stack.orgId).create(notify!);
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    await page.goto(h.url);
    await page.fill('#token', await h.tokenFor(h.stack.orgId, 'browser-test'));
    await page.press('#token', 'Enter');
    await page.locator('#nav').waitFor({ state: 'visible' });
  });

  afterAll(async () => {
    await chrome?.close();
    await h?.stop();
  });

  const heading = () => page.locator('main h1');

  it('shows a failed delivery in the calls view and retries it with its button, by keyboard', async () => {
    const accepted = await h.stack.executorClient.invoke({ orgId: h.stack.orgId, toolKey: 'notify_staff', argumentsJson: JSON.stringify({ message: 'call Mrs Lee back' }) });
    const id = accepted.deliveryId!;
    const row = page.locator(`#dead-letters tr[data-delivery="${id}"]`);
    await page.goto(`${h.url}/#/calls?tool=notify_staff`);
    await expect.poll(async () => {
      await page.reload();
      await page.locator('#dead-letters-heading').waitFor();
      return row.count();
    }, { timeout: 20_000 }).toBe(1);
    expect(await heading().textContent()).toBe('Calls');
    const text = (await row.textContent())!;
    expect(text).toContain('notify_staff');
    expect(text).toContain('HTTP_400');
    expect(await row.locator('td.num').textContent()).toBe('1');
    expect(await unlabelledControls(page)).toEqual([]);

    receiverUp = true;
    const before = h.upstream.requests.filter((r) => r.url === '/notify').length;
    await row.getByRole('button', { name: `Retry delivery ${id} of notify_staff` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#dead-letter-message')).toContain(`Delivery ${id} of notify_staff is queued again`);
    expect(await row.count()).toBe(0);
    await waitFor(() => (h.upstream.requests.filter((r) => r.url === '/notify').length > before ? true : undefined), 'the retried delivery at the receiver');
  });

  it('previews a pasted OpenAPI document, shows what it skipped, and imports the selected operation', async () => {
    await page.goto(`${h.url}/#/integrations`);
    await page.click('text=Import from OpenAPI');
    await expect.poll(() => heading().textContent()).toBe('Import from OpenAPI');
    expect(await page.getAttribute('#nav a[data-section="import"]', 'aria-current')).toBe('page');

    await page.fill('#openapi-text', 'openapi: 3.1.0\ninfo: [');
    await page.click('#preview-import');
    await expect.poll(() => page.locator('#import-errors li[data-field="text"]').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getAttribute('#openapi-text', 'aria-invalid')).toBe('true');

    await page.fill('#openapi-text', shopOpenApi(h.upstream));
    await page.click('#preview-import');
    const rows = page.locator('#import-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getAttribute('#openapi-text', 'aria-invalid')).toBeNull();
    const getRow = page.locator('#import-table tr[data-key="get_order"]');
    expect(await getRow.textContent()).toContain(`GET${h.upstream.url}/v1/orders/{order_id}conversationalnew`);
    expect(await page.locator('#import-table tr[data-key="create_order"]').textContent()).toContain('POST');
    expect(await page.locator('#import-table tr[data-key="create_order"]').textContent()).toContain('confirmed');
    expect(await page.textContent('#import-skipped')).toContain('cookie parameter session');
    expect(await page.textContent('#import-notes')).toContain('review');
    expect(await unlabelledControls(page)).toEqual([]);

    // Only get_order: untick create_order, then import.
    await page.uncheck('#import-table tr[data-key="create_order"] input[type=checkbox]');
    await page.click('#apply-import');
    await expect.poll(() => page.textContent('#import-results li[data-key="get_order"]'), { timeout: 15_000 }).toContain('created');
    const created = await h.stack.registryClient.get('get_order');
    expect(await page.textContent('#import-results li[data-key="get_order"]')).toBe('get_order: created');
    expect(await page.getAttribute('#import-results li[data-key="get_order"]', 'data-revision')).toBe(String(created.revision));
    expect(await page.locator('#import-results li').count()).toBe(1);
    expect(await getRow.locator('td.org-state').textContent()).toContain(`revision ${created.revision}`);
    expect(created.integration!.urlTemplate).toBe(`${h.upstream.url}/v1/orders/{order_id}`);
    await expect(h.stack.registryClient.get('create_order')).rejects.toMatchObject({ code: 5 });

    // A second import of the same document updates on top of the revision it showed.
    await page.click('#apply-import');
    await expect.poll(() => page.textContent('#import-results li[data-key="get_order"]'), { timeout: 15_000 }).toContain('updated, revision');
    const updated = await h.stack.registryClient.get('get_order');
    expect(updated.revision).toBeGreaterThan(created.revision);
    expect(await page.textContent('#import-results li[data-key="get_order"]')).toContain(`updated, revision ${updated.revision}`);

    await page.click('#import-results a');
    await expect.poll(() => heading().textContent()).toBe('get_order');
  });
  it('edits the main fields in a form view that shares the document with the YAML editor, errors beside the field', async () => {
    await expect.poll(() => heading().textContent()).toBe('get_order');
    await page.click('#view-form');
    await expect.poll(() => page.inputValue('#f-key')).toBe('get_order');
    expect(await page.getAttribute('#view-form', 'aria-pressed')).toBe('true');
    expect(await page.isVisible('#definition')).toBe(false);
    expect(await page.inputValue('#f-method')).toBe('GET');
    expect(await page.inputValue('#f-burden')).toBe('conversational');
    expect(await page.inputValue('#f-param-0-name')).toBe('order_id');
    expect(await page.inputValue('#f-param-0-location')).toBe('path');
    expect(await page.isChecked('#f-param-0-required')).toBe(true);
    expect(await unlabelledControls(page)).toEqual([]);

    const before = (await h.stack.registryClient.get('get_order')).revision;
    await page.fill('#f-url_template', 'ftp://shop.example/orders/{order_id}');
    await page.fill('#f-timeouts-total_ms', '5000');
    await page.click('#save');
    await expect.poll(() => page.getAttribute('#f-url_template', 'aria-invalid')).toBe('true');
    expect(await page.isVisible('#f-url_template-error')).toBe(true);
    expect((await page.textContent('#f-url_template-error'))!.length).toBeGreaterThan(0);
    expect(await page.textContent('#save-message')).toContain('Not saved');
    expect((await h.stack.registryClient.get('get_order')).revision).toBe(before);

    await page.fill('#f-url_template', `${h.upstream.url}/v2/orders/{order_id}`);
    await page.click('#f-add-parameter');
    await page.fill('#f-param-1-name', 'verbose');
    await page.selectOption('#f-param-1-type', 'boolean');
    await page.fill('#f-param-1-description', 'Whether to include the order lines.');
    // To YAML and back: the edits are in the one document, and YAML edits reach the form.
    await page.click('#view-yaml');
    await expect.poll(() => page.isVisible('#definition')).toBe(true);
    const yaml = await page.inputValue('#definition');
    expect(yaml).toContain('total_ms: 5000');
    expect(yaml).toContain(`${h.upstream.url}/v2/orders/{order_id}`);
    expect(yaml).toContain('name: verbose');
    await page.fill('#definition', yaml.replace('name: Look up an order', 'name: Find one order'));
    await page.click('#view-form');
    await expect.poll(() => page.inputValue('#f-name')).toBe('Find one order');
    expect(await page.inputValue('#f-timeouts-total_ms')).toBe('5000');
    expect(await page.inputValue('#f-param-1-type')).toBe('boolean');

    await page.click('#save');
    await expect.poll(() => page.textContent('#save-message')).toContain('Saved get_order, revision');
    expect(await page.getAttribute('#f-url_template', 'aria-invalid')).toBeNull();
    const saved = await h.stack.registryClient.get('get_order');
    expect(saved.revision).toBeGreaterThan(before);
    expect(await page.textContent('#save-message')).toContain(`Saved get_order, revision ${saved.revision}`);
    const stored = saved.integration!;
    expect(stored.name).toBe('Find one order');
    expect(stored.urlTemplate).toBe(`${h.upstream.url}/v2/orders/{order_id}`);
    expect(stored.timeouts?.totalMs).toBe(5000);
    expect(stored.parameters.map((p) => p.name)).toEqual(['order_id', 'verbose']);
  });

  it('edits auth, response mapping and burden texts in the form, errors beside the field, and saves them to the registry', async () => {
    await expect.poll(() => page.inputValue('#f-key')).toBe('get_order');
    const before = await h.stack.registryClient.get('get_order');
    // Fields only shown for their type or level start hidden.
    expect(await page.isVisible('#f-auth-api_key_in')).toBe(false);
    expect(await page.isVisible('#f-auth-oauth2-token_url')).toBe(false);
    expect(await page.isVisible('#f-burden-confirmation_prompt')).toBe(false);

    await page.selectOption('#f-auth-type', 'oauth2_client_credentials');
    expect(await page.isVisible('#f-auth-oauth2-token_url')).toBe(true);
    await page.selectOption('#f-auth-type', 'api_key');
    expect(await page.isVisible('#f-auth-oauth2-token_url')).toBe(false);
    await page.fill('#f-auth-credential_id', 'shop_key');
    await page.selectOption('#f-auth-api_key_in', 'header');
    await page.fill('#f-auth-api_key_name', 'X-Api-Key');

    // A mapped field added by keyboard: Enter on the button, focus lands in the new row's name.
    const n = await page.locator('#f-mapping-fields tbody tr').count();
    await page.focus('#f-add-mapping');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe(`f-mapping-${n}-name`);
    await page.keyboard.type('order_state');
    await page.keyboard.press('Tab');
    await page.keyboard.type('items[?');
    expect(await page.inputValue(`#f-mapping-${n}-expression`)).toBe('items[?');

    await page.selectOption('#f-burden', 'confirmed');
    expect(await page.isVisible('#f-burden-confirmation_prompt')).toBe(true);
    expect(await page.isVisible('#f-burden-accepted_verification_methods')).toBe(false);
    await page.fill('#f-burden-confirmation_prompt', 'Shall I look that order up now?');
    await page.fill('#f-speech-failure_phrase', 'The shop did not answer.');
    await page.check('#f-param-0-sensitive');
    await page.fill('#f-param-1-wire_name', 'include_lines');
    expect(await unlabelledControls(page)).toEqual([]);

    // The bad JMESPath expression: not saved, the registry's message beside the expression field.
    await page.click('#save');
    await expect.poll(() => page.getAttribute(`#f-mapping-${n}-expression`, 'aria-invalid')).toBe('true');
    expect(await page.isVisible(`#f-mapping-${n}-expression-error`)).toBe(true);
    expect(await page.textContent(`#f-mapping-${n}-expression-error`)).toContain('JMESPath');
    expect(await page.locator(`#form-errors li[data-field="response_mapping.fields[${n}].expression"]`).count()).toBe(0);
    expect((await h.stack.registryClient.get('get_order')).revision).toBe(before.revision);

    await page.fill(`#f-mapping-${n}-expression`, 'status');
    // To YAML and back keeps every edit (the one document).
    await page.click('#view-yaml');
    await expect.poll(() => page.isVisible('#definition')).toBe(true);
    const yaml = await page.inputValue('#definition');
    expect(yaml).toContain('credential_id: shop_key');
    expect(yaml).toContain('expression: status');
    expect(yaml).toContain('confirmation_prompt: Shall I look that order up now?');
    await page.click('#view-form');
    await expect.poll(() => page.inputValue('#f-auth-type')).toBe('api_key');
    expect(await page.inputValue(`#f-mapping-${n}-name`)).toBe('order_state');
    expect(await page.inputValue('#f-burden-confirmation_prompt')).toBe('Shall I look that order up now?');

    await page.click('#save');
    await expect.poll(() => page.textContent('#save-message')).toContain('Saved get_order, revision');
    expect(await page.getAttribute(`#f-mapping-${n}-expression`, 'aria-invalid')).toBeNull();
    const saved = await h.stack.registryClient.get('get_order');
    expect(saved.revision).toBeGreaterThan(before.revision);
    const stored = saved.integration!;
    expect(stored.auth).toMatchObject({ type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'shop_key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' });
    expect(stored.responseMapping!.fields.at(-1)).toEqual({ name: 'order_state', expression: 'status' });
    expect(stored.responseMapping!.fields).toHaveLength(n + 1);
    expect(stored.burden).toMatchObject({ level: BurdenLevel.BURDEN_LEVEL_CONFIRMED, confirmationPrompt: 'Shall I look that order up now?' });
    expect(stored.speech?.failurePhrase).toBe('The shop did not answer.');
    // What the form does not show, and the earlier edits, are kept.
    expect(stored.name).toBe('Find one order');
    expect(stored.parameters.map((p) => p.name)).toEqual(['order_id', 'verbose']);
    expect(stored.parameters.map((p) => [p.sensitive, p.wireName])).toEqual([[true, ''], [false, 'include_lines']]);
    expect(stored.responseMapping!.summaryTemplate).toBe(before.integration!.responseMapping?.summaryTemplate ?? '');
  });

  it('edits limits and cache in the form, errors beside each field (a cached POST at the cache), and saves them to the registry', async () => {
    await expect.poll(() => page.inputValue('#f-key')).toBe('get_order');
    const before = await h.stack.registryClient.get('get_order');
    expect(await page.inputValue('#f-limits-max_concurrent')).toBe('');
    expect(await page.inputValue('#f-cache-ttl_seconds')).toBe('');
    await page.fill('#f-limits-max_concurrent', '5');
    await page.fill('#f-limits-rate_per_second', '0.5');
    await page.fill('#f-limits-burst', '2');
    await page.fill('#f-limits-max_queue_ms', '90000');
    await page.fill('#f-cache-ttl_seconds', '100000');
    await page.selectOption('#f-cache-scope', 'org');
    expect(await unlabelledControls(page)).toEqual([]);

    // Over the limits: not saved, each message beside its field, none left for the YAML view.
    await page.click('#save');
    await expect.poll(() => page.getAttribute('#f-limits-max_queue_ms', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#f-limits-max_queue_ms-error')).toContain('at most 30000');
    expect(await page.getAttribute('#f-cache-ttl_seconds', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#f-cache-ttl_seconds-error')).toContain('at most 86400');
    expect(await page.locator('#form-errors li').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);

    // A cache on a write is refused for the cache as a whole, shown at its first field.
    await page.fill('#f-limits-max_queue_ms', '1500');
    await page.fill('#f-cache-ttl_seconds', '60');
    await page.selectOption('#f-method', 'POST');
    await page.click('#save');
    await expect.poll(() => page.textContent('#f-cache-ttl_seconds-error')).toContain('read methods (GET) only');
    expect(await page.getAttribute('#f-limits-max_queue_ms', 'aria-invalid')).toBeNull();
    expect((await h.stack.registryClient.get('get_order')).revision).toBe(before.revision);

    await page.selectOption('#f-method', 'GET');
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-message')).toContain('Saved get_order, revision');
    const stored = (await h.stack.registryClient.get('get_order')).integration!;
    expect(stored.limits).toEqual({ maxConcurrent: 5, ratePerSecond: 0.5, burst: 2, maxQueueMs: 1500 });
    expect(stored.cache).toEqual({ ttlSeconds: 60, scope: CacheScope.CACHE_SCOPE_ORG });
    // The YAML view shows what the form wrote, and the form reads it back.
    await page.click('#view-yaml');
    await expect.poll(() => page.isVisible('#definition')).toBe(true);
    expect(await page.inputValue('#definition')).toContain('rate_per_second: 0.5');
    await page.click('#view-form');
    await expect.poll(() => page.inputValue('#f-cache-scope')).toBe('org');
    expect(await page.inputValue('#f-limits-burst')).toBe('2');
  });
});
