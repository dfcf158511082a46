import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { ApiKeyPlacement, AuthType, CredentialType, IntegrationRecord, type Integration } from '@switchboard/contracts';
import { NATS_URL, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { define, invoke, outcomeName, startExecutorStack, waitUntilKnown, type DeepPartial } from './helpers.js';

const MANY = 150;
const BUDGET_ENTRIES = 100;

/** One value of the executor's Prometheus text for a metric with only the default labels. */
async function metric(stack: Stack, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.executor.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`metric ${name} not found`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * The executor's bounded working state, end to end: a budget far smaller than the integrations in
 * use, so every call evicts something; what was evicted is rebuilt invisibly on its next call.
 */
describe('bounded working set, end to end', () => {
  let upstream: Upstream;
  let stack: Stack;
  let nc: NatsConnection;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const path = req.url.split('?')[0]!;
      if (path === '/failing') return json(res, 500, { error: 'down' });
      const key = req.headers['x-api-key'];
      json(res, key === 'first-secret' || key === 'shared-secret' ? 200 : 401, { path });
    });
    stack = await startExecutorStack({
      egressAllow: '127.0.0.1/32',
      executorEnv: { WORKING_SET_MAX_ENTRIES: String(BUDGET_ENTRIES), EXECUTOR_HTTP_PORT: '0' },
    });
    await stack.registryClient.putCredential('first', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'first-secret' });
    await stack.registryClient.putCredential('shared', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'shared-secret' });
    const api = (key: string, credentialId: string, extra: DeepPartial<Integration> = {}) =>
      define({
        key,
        urlTemplate: `${upstream.url}/${key}`,
        auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId, apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
        ...extra,
      });
    const breaker = { errorThresholdPercent: 50, volumeThreshold: 2, resetTimeoutMs: 120_000, rollingWindowMs: 10_000, disabled: false };
    const all = [
      api('first', 'first'),
      api('failing', 'shared', { breaker }),
      ...Array.from({ length: MANY }, (_, i) => api(`tool_${i}`, 'shared')),
    ];
    for (let i = 0; i < all.length; i += 25) await Promise.all(all.slice(i, i + 25).map((d) => stack.registryClient.create(d)));
    await waitUntilKnown(stack, `tool_${MANY - 1}`);
    nc = await connect({ servers: NATS_URL });
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await upstream?.close();
  });

  it('a call after its state was evicted still works, with the credential opened again; the budget holds', async () => {
    expect(outcomeName((await invoke(stack, 'first')).outcome)).toBe('OUTCOME_SUCCESS');
    for (let i = 0; i < MANY; i++) expect(outcomeName((await invoke(stack, `tool_${i}`)).outcome), `tool_${i}`).toBe('OUTCOME_SUCCESS');
    expect(await metric(stack, 'switchboard_working_set_evictions_total')).toBeGreaterThan(MANY);
    expect(await metric(stack, 'switchboard_working_set_entries')).toBeLessThanOrEqual(BUDGET_ENTRIES);
    const text = await (await fetch(`http://127.0.0.1:${stack.executor.httpPort}/metrics`)).text();
    const series = text.split('\n').filter((l) => l.startsWith('switchboard_invoke_duration_seconds_count{'));
    expect(series.length, 'per-tool latency series go with their working-set entry').toBeLessThanOrEqual(BUDGET_ENTRIES);
    expect(series.some((l) => l.includes(`tool="tool_${MANY - 1}"`)), 'the most recent one is kept').toBe(true);
    const opensBefore = await metric(stack, 'switchboard_credential_opens_total');

    const again = await invoke(stack, 'first');
    expect(outcomeName(again.outcome), again.reason).toBe('OUTCOME_SUCCESS');
    expect(await metric(stack, 'switchboard_credential_opens_total'), "the evicted credential was opened again").toBe(opensBefore + 1);
    expect(stack.allOutput()).not.toContain('first-secret');
  });

  it('an open breaker survives eviction pressure and stays open', async () => {
    for (let i = 0; i < 2; i++) expect(outcomeName((await invoke(stack, 'failing')).outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    const open = await invoke(stack, 'failing');
    expect(open.reason).toBe('CIRCUIT_OPEN');
    for (let i = 0; i < MANY; i++) await invoke(stack, `tool_${i}`);
    expect(await metric(stack, 'switchboard_working_set_held')).toBeGreaterThanOrEqual(1);
    const sentBefore = upstream.requests.filter((r) => r.url.startsWith('/failing')).length;
    const still = await invoke(stack, 'failing');
    expect(still.reason).toBe('CIRCUIT_OPEN');
    expect(upstream.requests.filter((r) => r.url.startsWith('/failing')).length, 'nothing reached the upstream').toBe(sentBefore);
  });

  it('a definition that cannot be decoded fails only its own calls, with a typed outcome, and does not stop a start', async () => {
    const kv = await new Kvm(nc).open(stack.env['INTEGRATIONS_BUCKET']!);
    await kv.put(`${stack.orgId}.broken`, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    await stack.restart('executor');
    const broken = await invoke(stack, 'broken');
    expect(outcomeName(broken.outcome)).toBe('OUTCOME_INTERNAL');
    expect(broken.reason).toBe('DEFINITION_UNREADABLE');
    expect(outcomeName((await invoke(stack, 'tool_0')).outcome)).toBe('OUTCOME_SUCCESS');
    // The same bytes decoded by hand fail too: the test is about the executor, not a lenient decoder.
    expect(() => IntegrationRecord.decode(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow();
  }, 60_000);
});
