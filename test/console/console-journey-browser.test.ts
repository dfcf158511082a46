import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, Page } from 'playwright-core';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CredentialType } from '@switchboard/contracts';
import { json } from '../support/upstream.js';
import { NATS_URL } from '../support/stack.js';
import { launchChromium, unlabelledControls, type HeadlessBrowser } from './browser.js';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { lookupYaml } from './console-fixtures.js';

const SECRET = 'journey-secret-41d7c0';

/** A gate the test opens by hand: requests routed through it wait until then. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('the console journey in headless Chromium: failure states, unsaved edits and the form alone', () => {
  let h: ConsoleHarness;
  let chrome: HeadlessBrowser;
  let page: Page;
  let nc: NatsConnection;
  let token: string;

  beforeAll(async () => {
    h = await startConsoleHarness({
      upstream: (req, res) => (req.headers['x-api-key'] === SECRET ? json(res, 200, { status: 'shipped' }) : json(res, 401, { error: 'no key' })),
    });
    nc = await connect({ servers: NATS_URL });
    await h.stack.client(h.stack.orgId).putCredential('shop-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRET });
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    token = await h.tokenFor(h.stack.orgId, 'journey');
    await page.goto(h.url);
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await page.locator('#nav').waitFor({ state: 'visible' });
  });

  afterAll(async () => {
    await chrome?.close();
    await nc?.close();
    await h?.stop();
  });

  const heading = () => page.locator('main h1');

  /** Ends every session of the harness's bucket, as expiry (or a sign-out elsewhere) would. */
  const expireSessions = async () => {
    const kv = await new Kvm(nc).open(h.sessionsBucket);
    for await (const key of await kv.keys()) await kv.purge(key);
  };

  it('shows a loading indicator while a page loads, and an error with Try again when it cannot load', async () => {
    await expect.poll(() => heading().textContent()).toBe('Integrations');
    const held = gate();
    await page.route('**/api/credentials', async (route) => {
      await held.wait;
      await route.continue();
    });
    await page.click('#nav a[data-section="credentials"]');
    await expect.poll(() => page.isVisible('#page-loading')).toBe(true);
    expect(await page.getAttribute('#main', 'aria-busy')).toBe('true');
    held.open();
    await expect.poll(() => heading().textContent()).toBe('Credentials');
    expect(await page.isVisible('#page-loading')).toBe(false);
    expect(await page.getAttribute('#main', 'aria-busy')).toBe('false');
    await page.unroute('**/api/credentials');

    // The network fails: the page says so and offers to try again, which works once the network is back.
    await page.route('**/api/tools?*', (route) => route.abort('internetdisconnected'));
    await page.click('#nav a[data-section="tools"]');
    await expect.poll(() => page.textContent('#page-error')).toContain('could not be reached');
    expect(await page.isVisible('#page-loading')).toBe(false);
    await page.unroute('**/api/tools?*');
    await page.click('#page-retry');
    await expect.poll(() => heading().textContent()).toBe('Tools the model sees');
  });

  it('moves focus with the skip link without leaving the page', async () => {
    await page.goto(`${h.url}/#/credentials`);
    await expect.poll(() => heading().textContent()).toBe('Credentials');
    await page.focus('a.skip');
    await page.keyboard.press('Enter');
    expect(page.url()).toMatch(/#\/credentials$/);
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('main');
    expect(await heading().textContent()).toBe('Credentials');
  });

  it('does not hang on "Testing…" when the network fails, and says why; Save keeps the edits', async () => {
    await page.goto(`${h.url}/#/new`);
    await expect.poll(() => heading().textContent()).toBe('New integration');
    const yaml = lookupYaml(h.upstream, 'journey_lookup');
    await page.fill('#definition', yaml);
    await page.fill('#test-args', '{"order_id": "o-1"}');
    await page.route('**/api/test', (route) => route.abort('failed'));
    await page.click('#test');
    await expect.poll(() => page.textContent('#test-error')).toContain('could not be reached');
    expect(await page.textContent('#test')).toBe('Test');
    expect(await page.isEnabled('#test')).toBe(true);
    expect(await page.getAttribute('#test-result', 'aria-busy')).toBe('false');
    await page.unroute('**/api/test');

    await page.route('**/api/integrations', (route) => route.abort('connectionreset'));
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-message')).toContain('could not be reached');
    expect(await page.textContent('#save-message')).toContain('Not saved');
    expect(await page.inputValue('#definition')).toBe(yaml);
    expect(await page.isEnabled('#save')).toBe(true);
    await page.unroute('**/api/integrations');

    // While a Test runs the button says so and cannot be pressed twice.
    const held = gate();
    await page.route('**/api/test', async (route) => {
      await held.wait;
      await route.continue();
    });
    await page.click('#test');
    await expect.poll(() => page.textContent('#test')).toBe('Testing…');
    expect(await page.isDisabled('#test')).toBe(true);
    held.open();
    await expect.poll(() => page.textContent('#test-status'), { timeout: 15_000 }).toBe('200');
    expect(await page.isEnabled('#test')).toBe(true);
    await page.unroute('**/api/test');
  });

  it('asks before leaving unsaved edits, and stays when the user says so', async () => {
    // Still on the unsaved new integration from the test before.
    const edits = await page.inputValue('#definition');
    expect(await page.textContent('#revision')).toContain('unsaved edits');
    const asked: string[] = [];
    const stay = (d: Dialog) => {
      asked.push(d.message());
      void d.dismiss();
    };
    page.once('dialog', stay);
    await page.click('#nav a[data-section="calls"]');
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toContain('unsaved edits');
    expect(page.url()).toMatch(/#\/new$/);
    expect(await heading().textContent()).toBe('New integration');
    expect(await page.inputValue('#definition')).toBe(edits);

    // Saved edits leave without a question.
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-message')).toContain('Saved journey_lookup, revision 1');
    expect(await page.textContent('#revision')).not.toContain('unsaved edits');
    await page.click('#nav a[data-section="calls"]');
    await expect.poll(() => heading().textContent()).toBe('Calls');
    expect(asked).toHaveLength(1);
  });

  it('signs in again in place when the session has ended, and saves the edits it kept', async () => {
    await page.goto(`${h.url}/#/integrations/journey_lookup`);
    await expect.poll(() => heading().textContent()).toBe('journey_lookup');
    const edited = (await page.inputValue('#definition')).replace('name: Look up an order', 'name: Look up one order');
    await page.fill('#definition', edited);
    await expireSessions();

    await page.click('#save');
    await expect.poll(() => page.isVisible('#reauth')).toBe(true);
    expect(await unlabelledControls(page)).toEqual([]);
    // A token of another org is refused: this page holds this org's work.
    await page.fill('#reauth-token', await h.tokenFor(`${h.stack.orgId}-other`));
    await page.click('#reauth-submit');
    await expect.poll(() => page.textContent('#reauth-error')).toContain('this page holds work of org');
    await page.fill('#reauth-token', token);
    await page.click('#reauth-submit');
    await expect.poll(() => page.textContent('#save-message')).toContain('Saved journey_lookup, revision 2');
    expect(await page.isVisible('#reauth')).toBe(false);
    expect((await h.stack.registryClient.get('journey_lookup')).integration!.name).toBe('Look up one order');

    // Cancelling the sign-in leaves the edits on the page with a message, not a blank sign-in page.
    await page.fill('#definition', (await page.inputValue('#definition')).replace('Look up one order', 'Look up that order'));
    await expireSessions();
    await page.click('#save');
    await expect.poll(() => page.isVisible('#reauth')).toBe(true);
    await page.click('#reauth-cancel');
    await expect.poll(() => page.textContent('#save-message')).toContain('Not saved');
    expect(await page.inputValue('#definition')).toContain('Look up that order');
  });
});
