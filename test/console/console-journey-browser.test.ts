import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, Page } from 'playwright-core';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CredentialType } from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { json } from '../support/upstream.js';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { NATS_URL, ROOT } from '../support/stack.js';
import { axeViolations, launchChromium, unlabelledControls, type HeadlessBrowser } from './browser.js';
import { startConsoleHarness, type ConsoleHarness } from './console-harness.js';
import { lookupYaml, writeAuditFixture } from './console-fixtures.js';

const SECRET = 'journey-secret-41d7c0';
// As in console-browser.test.ts: docs/console/ only with UPDATE_SCREENSHOTS=1.
const SHOTS = process.env['UPDATE_SCREENSHOTS'] === '1' ? path.join(ROOT, 'docs', 'console') : path.join(tmpdir(), 'sb-console-shots');

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
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await chrome?.close();
    await nc?.close();
    await h?.stop();
  });

  const heading = () => page.locator('main h1');
  const shot = (name: string, fullPage = false) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });

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
    expect(await axeViolations(page)).toEqual([]);
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
    expect(await axeViolations(page)).toEqual([]);
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

  it('creates a custom_headers credential (the auth type the form offers) and checks the id as the registry does', async () => {
    await page.goto(`${h.url}/#/credentials`);
    await expect.poll(() => heading().textContent()).toBe('Credentials');
    // The id pattern compiles in the page (an invalid one is silently ignored) and refuses what the registry refuses.
    await page.fill('#credential-id', 'bad id!');
    expect(await page.evaluate<boolean>(`document.querySelector('#credential-id').validity.patternMismatch`)).toBe(true);
    await page.fill('#credential-id', 'desk-headers_2');
    expect(await page.evaluate<boolean>(`document.querySelector('#credential-id').validity.valid`)).toBe(true);
    await page.selectOption('#credential-type', 'custom_headers');
    await page.fill('#header-0-name', 'X-Desk-Id');
    await page.fill('#header-0-value', 'desk-secret-1');
    await page.click('#add-header');
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('header-1-name');
    await page.fill('#header-1-name', 'X-Desk-Key');
    await page.fill('#header-1-value', 'desk-secret-2');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.click('#save-credential');
    await expect.poll(() => page.textContent('#credential-message')).toContain('Saved desk-headers_2 (custom_headers');
    expect(await page.locator('#credentials-table tr[data-id="desk-headers_2"]').textContent()).toContain('custom_headers');
    expect(await page.inputValue('#header-0-value')).toBe('');
    expect(await page.content()).not.toContain('desk-secret-');
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
    expect(await axeViolations(page)).toEqual([]);
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
    await expect.poll(() => page.textContent('#save-message')).toBe('Created journey_lookup.');
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
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#reauth-token', token);
    await page.click('#reauth-submit');
    await expect.poll(() => page.textContent('#save-message')).toMatch(/Saved journey_lookup, revision \d+/);
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
    // ...and saving again asks again.
    await page.click('#save');
    await expect.poll(() => page.isVisible('#reauth')).toBe(true);
    await page.fill('#reauth-token', token);
    await page.press('#reauth-token', 'Enter');
    await expect.poll(() => page.textContent('#save-message')).toMatch(/Saved journey_lookup, revision \d+/);
  });
  it('builds an integration in the form alone: sample arguments follow the parameters, every error at a visible field', async () => {
    await page.goto(`${h.url}/#/new`);
    await expect.poll(() => heading().textContent()).toBe('New integration');
    await page.click('#view-form');
    await expect.poll(() => page.inputValue('#f-key')).toBe('my_lookup');
    // The starter's sample argument sits under its parameter, and follows it through a rename.
    expect(await page.textContent('label[for="f-sample-0"]')).toBe('item_id (required): string');
    expect(await page.inputValue('#f-sample-0')).toBe('42');
    await page.fill('#f-key', 'form_only');
    await page.fill('#f-param-0-name', 'order_id');
    await page.fill('#f-url_template', `${h.upstream.url}/orders/{order_id}`);
    expect(await page.textContent('label[for="f-sample-0"]')).toBe('order_id (required): string');
    expect(await page.inputValue('#f-sample-0')).toBe('42');

    // A required parameter without a sample: the problem is beside the sample field, not on a hidden YAML line.
    await page.fill('#f-sample-0', '');
    await page.click('#f-add-parameter');
    await page.fill('#f-param-1-name', 'count');
    await page.selectOption('#f-param-1-type', 'integer');
    await page.fill('#f-param-1-description', 'How many.');
    await page.fill('#f-sample-1', '3');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.click('#save');
    await expect.poll(() => page.getAttribute('#f-sample-0', 'aria-invalid')).toBe('true');
    expect(await page.isVisible('#f-sample-0-error')).toBe(true);
    expect(await page.textContent('#f-sample-0-error')).toContain('is required');
    expect(await page.isVisible('#definition-errors')).toBe(false);
    expect(await page.locator('#form-errors li').count()).toBe(0);
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('f-sample-0');
    expect(await axeViolations(page)).toEqual([]);

    await page.fill('#f-sample-0', 'o-5');
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-message')).toBe('Created form_only.');
    const record = await h.stack.registryClient.get('form_only');
    const stored = record.integration!;
    expect(stored.parameters.map((p) => p.name)).toEqual(['order_id', 'count']);
    expect(stored.sampleArguments).toEqual({ order_id: 'o-5', count: 3 });
    await expect.poll(() => heading().textContent()).toBe('form_only');
    expect(JSON.parse(await page.inputValue('#test-args'))).toEqual({ order_id: 'o-5', count: 3 });

    // A problem no form field shows offers the place where it can be fixed: the YAML view, at its line.
    await page.click('#view-yaml');
    await expect.poll(() => page.isVisible('#definition')).toBe(true);
    await page.fill('#definition', `${await page.inputValue('#definition')}delivery:\n  max_attempts: 3\n`);
    await page.click('#view-form');
    await expect.poll(() => page.isVisible('#f-key')).toBe(true);
    await page.click('#save');
    const problem = page.locator('#form-errors li[data-field="delivery.max_attempts"]');
    await expect.poll(() => problem.count()).toBe(1);
    expect(await problem.isVisible()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.textContent('#save-message')).toContain('Not saved');
    await problem.locator('button').click();
    await expect.poll(() => page.isVisible('#definition')).toBe(true);
    // The banner of the failed save does not linger over the view where the problem gets fixed.
    expect(await page.textContent('#save-message')).toBe('');
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('definition');
    const selected = await page.evaluate<string>(`(() => { const t = document.querySelector('#definition'); return t.value.slice(t.selectionStart, t.selectionEnd); })()`);
    expect(selected).toContain('max_attempts');
    expect(await page.isVisible('#definition-errors li[data-field="delivery.max_attempts"]')).toBe(true);
  });
  it('pages through thousands of calls in a table, filtered by tool, outcome, time range and call id', async () => {
    // A real invocation's audit record, cloned 2,345 times into another org's trail.
    await h.stack.executorClient.invoke({ orgId: h.stack.orgId, toolKey: 'journey_lookup', callId: 'journey-call-1', argumentsJson: JSON.stringify({ order_id: 'o-1' }) });
    const template = await waitFor(() => readAuditLines(h.stack.auditDir).find((r) => r['callId'] === 'journey-call-1'), 'the audit record of a real call');
    const callsOrg = `${h.stack.orgId}-calls`;
    writeAuditFixture(h.stack.auditDir, template, callsOrg, 2345);
    page.once('dialog', (d) => void d.accept()); // the form test left an unsaved edit
    await page.click('#sign-out');
    await page.fill('#token', await h.tokenFor(callsOrg));
    await page.press('#token', 'Enter');
    await expect.poll(() => heading().textContent()).toBe('Integrations');

    await page.click('#nav a[data-section="calls"]');
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 1–50 of 2,345, newest first.');
    const rows = page.locator('#calls tr.call');
    expect(await rows.count()).toBe(50);
    const first = rows.first();
    expect(await first.getAttribute('data-invocation')).toBe(`fixture-${callsOrg}-0`);
    expect(await first.locator('td.latency').textContent()).toBe('0.32');
    expect(await rows.nth(11).locator('td.latency').textContent()).toBe('11.3');
    expect(await first.locator('td.status').textContent()).toBe('502');
    expect(await first.locator('td.call-id').textContent()).toBe('call-0');
    expect(await page.textContent('#calls-page')).toBe('Page 1 of 47');

    await page.click('#calls-older');
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 51–100 of 2,345, newest first.');
    expect(await rows.first().locator('td.call-id').textContent()).toBe('call-50');
    expect(await rows.nth(49).locator('td.latency').textContent()).toBe('99.3');
    await page.goto(`${h.url}/#/calls?page=47`);
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 2,301–2,345 of 2,345, newest first.');
    expect(await rows.last().locator('td.latency').textContent()).toBe('2,344');
    expect(await page.getAttribute('#calls-older', 'aria-disabled')).toBe('true');
    expect(await axeViolations(page)).toEqual([]);

    await page.selectOption('#outcome', 'OUTCOME_UPSTREAM_ERROR');
    await page.click('text=Apply filters');
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 1–50 of 235, newest first.');
    await page.fill('#tool', 'fixture_b');
    await page.selectOption('#outcome', '');
    await page.click('text=Apply filters');
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 1–50 of 1,172, newest first.');
    await page.fill('#tool', '');
    await page.selectOption('#range', '15m');
    await page.click('text=Apply filters');
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 1–15 of 15, newest first.');
    await page.selectOption('#range', '');
    await page.fill('#callId', 'call-1234');
    await page.click('text=Apply filters');
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 1–1 of 1, newest first.');
    expect(await rows.first().getAttribute('data-tool')).toBe('fixture_a');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.goto(`${h.url}/#/calls`);
    await expect.poll(() => page.textContent('#calls-summary')).toBe('Calls 1–50 of 2,345, newest first.');
    await page.setViewportSize({ width: 1280, height: 900 });
    await shot('calls');
    await page.setViewportSize({ width: 375, height: 760 });
    await page.locator('#calls-summary').scrollIntoViewIfNeeded();
    await page.evaluate(`document.querySelector('#calls-summary').scrollIntoView({ block: 'start' })`);
    await shot('calls-phone');
    await page.setViewportSize({ width: 1366, height: 860 });
  });

  it('charts an integration: latency p50/p95 over the last hour and day, outcomes, breaker state (Chart.js, served by the console)', async () => {
    const callsOrg = `${h.stack.orgId}-calls`;
    const [fixtureA] = parseIntegrationDocuments(lookupYaml(h.upstream, 'fixture_a'), 'a.yaml').integrations;
    await h.stack.client(callsOrg).create(fixtureA!);
    await page.goto(`${h.url}/#/integrations/fixture_a`);
    await expect.poll(() => heading().textContent()).toBe('fixture_a');
    // The fixture: fixture_a's calls are the even minutes back from now, every 10th minute an UPSTREAM_ERROR.
    await expect.poll(() => page.textContent('#health-summary')).toMatch(/^30 calls in the last hour; highest p95 [\d.,]+ ms; SUCCESS 24, UPSTREAM_ERROR 6\.$/);
    expect(await page.textContent('#health-breaker')).toBe('closed');
    const drawn = () => page.evaluate<{ points: number; nonNull: number; outcomes: number[] }>(`(() => {
      const line = window.Chart.getChart('latency-chart');
      const bars = window.Chart.getChart('outcome-chart');
      return { points: line.data.datasets[0].data.length, nonNull: line.data.datasets[1].data.filter((v) => v !== null).length, outcomes: bars.data.datasets[0].data };
    })()`);
    expect(await drawn()).toEqual({ points: 12, nonNull: 12, outcomes: [24, 6] });
    expect(await page.getAttribute('#latency-chart', 'aria-label')).toContain('p50 and p95');
    // Served by the console itself; the page's CSP allows nothing else.
    const script = await page.evaluate<string>(`[...document.scripts].map((s) => s.src).find((s) => s.includes('chart')) ?? ''`);
    expect(script).toBe(`${h.url}/vendor/chart.umd.min.js`);
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('#health').scrollIntoViewIfNeeded();
    await page.locator('#health').screenshot({ path: path.join(SHOTS, 'health-charts.png') });

    await page.selectOption('#health-window', '24h');
    await expect.poll(() => page.textContent('#health-summary')).toMatch(/^720 calls in the last 24 hours; .*SUCCESS 576, UPSTREAM_ERROR 144\.$/);
    expect((await drawn()).points).toBe(24);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.selectOption('#health-window', '1h');
    await expect.poll(() => page.textContent('#health-summary')).toMatch(/^30 calls in the last hour/);
    expect(await axeViolations(page)).toEqual([]);
    await page.evaluate('window.scrollTo(0, 0)');
    await shot('editor-dark', true);
    await page.emulateMedia({ colorScheme: 'light' });
  });
  it("charts what an integration's limits did: calls queued with their wait p95, and calls refused RATE_LIMITED", async () => {
    const callsOrg = `${h.stack.orgId}-calls`;
    const [limited] = parseIntegrationDocuments(lookupYaml(h.upstream, 'fixture_limited'), 'l.yaml').integrations;
    await h.stack.client(callsOrg).create(limited!);
    // As the executor records them: a queued call carries limitWaitMs; a refused one ends RATE_LIMITED, nothing sent.
    const now = Date.now();
    const record = (i: number, extra: Record<string, unknown>) =>
      JSON.stringify({ schemaVersion: 1, invocationId: `limited-${i}`, orgId: callsOrg, callId: `call-limited-${i}`, toolKey: 'fixture_limited', time: new Date(now - (i + 1) * 60_000).toISOString(), test: false, outcome: 'OUTCOME_SUCCESS', httpStatus: 200, latencyMs: 40 + i, breakerState: 'closed', ...extra });
    const lines = [
      ...Array.from({ length: 8 }, (_v, i) => record(i, { limitWaitMs: (i + 1) * 25 })),
      ...Array.from({ length: 3 }, (_v, i) => record(8 + i, { outcome: 'OUTCOME_RATE_LIMITED', reason: 'LIMIT_QUEUE_TIMEOUT', httpStatus: 0, latencyMs: 1000 })),
      record(11, {}),
    ];
    writeFileSync(path.join(h.stack.auditDir, `audit-2026-01-01-limited-${callsOrg.slice(-8)}-0001.jsonl`), `${lines.join('\n')}\n`);
    await page.goto(`${h.url}/#/integrations/fixture_limited`);
    await expect.poll(() => heading().textContent()).toBe('fixture_limited');
    await expect.poll(() => page.textContent('#health-summary')).toMatch(/^12 calls in the last hour; .*RATE_LIMITED 3\. Limits: 8 queued \(waited p95 200 ms\), 3 rate-limited\.$/);
    const drawn = () => page.evaluate<{ queued: number; refused: number; waits: number }>(`(() => {
      const chart = window.Chart.getChart('limit-chart');
      const sum = (i) => chart.data.datasets[i].data.reduce((a, b) => a + (b ?? 0), 0);
      return { queued: sum(0), refused: sum(1), waits: chart.data.datasets[2].data.filter((v) => v !== null).length };
    })()`);
    expect(await drawn()).toEqual({ queued: 8, refused: 3, waits: 2 }); // 8 minutes of queued calls: two 5-minute buckets
    expect(await page.getAttribute('#limit-chart', 'aria-label')).toContain('8 queued');
    await page.click('#health summary');
    expect(await page.locator('#latency-table th').allTextContents()).toEqual(['From', 'Calls', 'p50 (ms)', 'p95 (ms)', 'Queued', 'Wait p95 (ms)', 'Rate limited']);
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });

    // An integration whose limits never acted shows no limits chart.
    await page.goto(`${h.url}/#/integrations/fixture_a`);
    await expect.poll(() => page.textContent('#health-summary')).toMatch(/^30 calls in the last hour/);
    expect(await page.locator('#limit-chart').count()).toBe(0);
  });

  it('says why a sign-in failed when the network does, and lets the user try again', async () => {
    await page.click('#sign-out');
    await expect.poll(() => heading().textContent()).toBe('Sign in to Switchboard');
    await page.route('**/api/session', (route) => (route.request().method() === 'POST' ? route.abort('failed') : route.continue()));
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await expect.poll(() => page.textContent('#sign-in-error')).toContain('could not be reached');
    expect(await page.textContent('#sign-in')).toBe('Sign in');
    expect(await page.isEnabled('#sign-in')).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await page.unroute('**/api/session');
    await page.click('#sign-in');
    await expect.poll(() => heading().textContent()).toBe('Integrations');
  });
});
