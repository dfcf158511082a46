import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CredentialType } from '@switchboard/contracts';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { json } from '../support/upstream.js';
import { axeViolations, horizontalOverflow, launchChromium, type HeadlessBrowser } from './browser.js';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { lookupYaml, shopOpenApi } from './console-fixtures.js';

const SECRET = 'layout-secret-9e2b';
/** Phone, tablet and desktop widths. */
const WIDTHS = [375, 768, 1280] as const;

describe('every console page state: zero axe-core violations (light and dark), no horizontal scroll at 375, 768 and 1280 px', () => {
  let h: ConsoleHarness;
  let chrome: HeadlessBrowser;
  let page: Page;
  /** Every problem found, by page state: asserted empty at the end of each test. */
  let problems: string[] = [];

  beforeAll(async () => {
    h = await startConsoleHarness({ upstream: (req, res) => (req.headers['x-api-key'] === SECRET ? json(res, 200, { status: 'shipped' }) : json(res, 401, { error: 'no key' })) });
    chrome = await launchChromium();
    page = await chrome.context.newPage();
  });

  afterAll(async () => {
    await chrome?.close();
    await h?.stop();
  });

  const heading = () => page.locator('main h1');

  /** Checks the page as it stands: axe in light and dark, then the layout at every width (back at 1280 after). */
  const check = async (state: string) => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const v of await axeViolations(page)) problems.push(`${state} [${scheme}]: ${v}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      const o = await horizontalOverflow(page);
      if (o.scrollWidth > o.viewport) problems.push(`${state} at ${width} px: page is ${o.scrollWidth} px wide (${o.wide.join('; ')})`);
    }
    // The way out stays on screen on a phone.
    await page.setViewportSize({ width: 375, height: 900 });
    if (await page.isVisible('#sign-out')) {
      const box = (await page.locator('#sign-out').boundingBox())!;
      if (box.x + box.width > 375) problems.push(`${state} at 375 px: Sign out is off-screen (right edge ${box.x + box.width})`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  const finish = () => {
    const found = problems;
    problems = [];
    expect(found).toEqual([]);
  };

  it('sign-in, the empty org, and the editor with its errors, form and Test result', async () => {
    await page.goto(h.url);
    await expect.poll(() => heading().textContent()).toBe('Sign in to Switchboard');
    await check('sign-in');
    await page.fill('#token', 'sbt_wrong');
    await page.press('#token', 'Enter');
    await expect.poll(() => page.textContent('#sign-in-error')).not.toBe('');
    await check('sign-in refused');

    await page.fill('#token', await h.tokenFor(h.stack.orgId));
    await page.press('#token', 'Enter');
    await expect.poll(() => heading().textContent()).toBe('Integrations');
    await check('integrations (empty)');

    await page.click('text=New integration');
    await expect.poll(() => heading().textContent()).toBe('New integration');
    await check('new integration (YAML)');
    await page.fill('#definition', lookupYaml(h.upstream, 'look_up_order', { urlTemplate: 'ftp://shop.example/orders/{order_id}' }));
    await page.click('#save');
    await expect.poll(() => page.locator('#definition-errors li').count()).toBeGreaterThan(0);
    await check('new integration with problems (YAML)');
    await page.click('#view-form');
    await expect.poll(() => page.isVisible('#f-key')).toBe(true);
    await check('new integration (form)');
    await page.click('#save');
    await expect.poll(() => page.getAttribute('#f-url_template', 'aria-invalid')).toBe('true');
    await check('new integration with problems (form)');
    await page.fill('#f-url_template', `${h.upstream.url}/orders/{order_id}`);
    await page.click('#save');
    await expect.poll(() => heading().textContent()).toBe('look_up_order');
    await check('saved integration');

    await page.click('#test');
    await expect.poll(() => page.textContent('#test-outcome'), { timeout: 15_000 }).toContain('AUTH_FAILED');
    await check('Test result (credential not set)');
    await h.stack.client(h.stack.orgId).putCredential('shop-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRET });
    await page.click('#test');
    await expect.poll(() => page.textContent('#test-status'), { timeout: 15_000 }).toBe('200');
    await check('Test result (success)');
    await page.fill('#test-args', '[1]');
    await page.click('#test');
    await expect.poll(() => page.isVisible('#test-error')).toBe(true);
    await check('Test not run');
    finish();
  });

  it('integrations, credentials, calls, tools, import and the not-found page', async () => {
    const [second] = parseIntegrationDocuments(lookupYaml(h.upstream, 'a_much_longer_integration_key_for_a_narrow_screen'), 'l.yaml').integrations;
    await h.stack.client(h.stack.orgId).create(second!);
    await page.goto(`${h.url}/#/integrations`);
    await expect.poll(() => page.locator('#integrations-table tbody tr').count()).toBe(2);
    await check('integrations');

    await page.goto(`${h.url}/#/credentials`);
    await expect.poll(() => page.locator('#credentials-table tbody tr').count()).toBe(1);
    await check('credentials');
    await page.selectOption('#credential-type', 'custom_headers');
    await page.fill('#credential-id', 'desk');
    await page.fill('#header-0-name', 'X-Desk');
    await page.fill('#header-0-value', 'v');
    await page.click('#save-credential');
    await expect.poll(() => page.textContent('#credential-message')).toContain('Saved desk');
    await check('credential saved');

    await page.goto(`${h.url}/#/calls`);
    await expect.poll(() => page.locator('#calls tr.call').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await check('calls');
    await page.locator('#calls button.call-toggle').first().click();
    await check('calls with a record open');
    await page.goto(`${h.url}/#/calls?tool=nothing_here`);
    await expect.poll(() => page.textContent('#calls-summary')).toBe('No calls match.');
    await check('calls (none match)');

    await page.goto(`${h.url}/#/tools`);
    await expect.poll(() => page.textContent('#tools-document')).toContain('look_up_order');
    await check('tools');
    // Copy puts the document on the clipboard and says so.
    await chrome.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
    await page.click('#copy-tools');
    await expect.poll(() => page.textContent('#status')).toBe('Copied the tool list.');
    expect(JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()'))).toEqual(JSON.parse((await page.textContent('#tools-document'))!));

    await page.goto(`${h.url}/#/import`);
    await expect.poll(() => heading().textContent()).toBe('Import from OpenAPI');
    expect(await page.isVisible('#apply-import')).toBe(false);
    await check('import (empty)');
    await page.fill('#openapi-text', 'openapi: 3.1.0\ninfo: [');
    await page.click('#preview-import');
    await expect.poll(() => page.locator('#import-errors li').count()).toBeGreaterThan(0);
    expect(await page.isVisible('#apply-import')).toBe(false);
    await check('import refused');
    // Two cookie parameters: one reason, said once with its count.
    const cookie = '        - name: session\n          in: cookie\n          schema:\n            type: string\n';
    const twoCookies = shopOpenApi(h.upstream).replace(cookie, `${cookie}${cookie.replace('session', 'consent')}`);
    expect(twoCookies).toContain('consent');
    await page.fill('#openapi-text', twoCookies);
    await page.click('#preview-import');
    await expect.poll(() => page.locator('#import-table tbody tr').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('#import-skipped li').count()).toBe(1);
    expect(await page.textContent('#import-skipped li')).toMatch(/Switchboard sends no cookies \(2\): .*session.*consent/);
    // "Import selected" sits right under the table it applies to.
    const gap = await page.evaluate<number>(`document.querySelector('#apply-import').getBoundingClientRect().top - document.querySelector('#import-table').getBoundingClientRect().bottom`);
    expect(gap).toBeLessThan(60);
    await check('import preview');
    await page.click('#apply-import');
    await expect.poll(() => page.locator('#import-results li').count(), { timeout: 15_000 }).toBe(2);
    await check('import results');

    await page.goto(`${h.url}/#/integrations/no_such_thing`);
    await expect.poll(() => heading().textContent()).toBe('Not found');
    await check('not found');
    finish();
  });
});
