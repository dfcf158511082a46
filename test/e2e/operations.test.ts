import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMethod, Integration, Outcome } from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
}

/** The value of the sample of `name` that carries all of `labels` (in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const line = text.split('\n').find(
    (l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
  );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('operations: metrics and readiness on every service', () => {
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => (req.url === '/fail' ? json(res, 503, {}) : json(res, 200, { ok: true })));
    stack = await startStack({
      egressAllow: '127.0.0.1/32',
      env: { EXECUTOR_HTTP_PORT: '0', REGISTRY_HTTP_PORT: '0', AUDIT_HTTP_PORT: '0' },
    });
    for (const [key, path] of [['ok_tool', '/ok'], ['failing_tool', '/fail']]) {
      await stack.registryClient.create(
        Integration.fromPartial({
          key: key!,
          name: key!,
          description: 'd',
          enabled: true,
          method: HttpMethod.HTTP_METHOD_GET,
          urlTemplate: `${upstream.url}${path}`,
          breaker: { volumeThreshold: 2, errorThresholdPercent: 50, resetTimeoutMs: 60_000 },
        }),
      );
    }
    await waitFor(async () => {
      const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'ok_tool', callId: randomUUID(), argumentsJson: '{}' });
      return r.outcome === Outcome.OUTCOME_SUCCESS ? r : undefined;
    }, 'first invoke');
    for (let i = 0; i < 4; i++) await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'failing_tool', callId: randomUUID(), argumentsJson: '{}' });
    // A write call: its write-ahead intent waits for the spool's fdatasync, which the executor times.
    await stack.registryClient.create(
      Integration.fromPartial({ key: 'write_tool', name: 'write_tool', description: 'd', enabled: true, method: HttpMethod.HTTP_METHOD_POST, urlTemplate: `${upstream.url}/ok` }),
    );
    await waitFor(async () => {
      const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'write_tool', callId: randomUUID(), argumentsJson: '{}' });
      return r.outcome === Outcome.OUTCOME_SUCCESS ? r : undefined;
    }, 'the write call');
    await waitFor(() => (readAuditLines(stack.auditDir).length >= 6 ? true : undefined), 'audit lines');
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('every service answers /healthz and /readyz on its operations port', async () => {
    for (const svc of [stack.registry, stack.executor, stack.logger!]) {
      expect(svc.httpPort, `${svc.name} has an operations port`).toBeGreaterThan(0);
      expect((await get(svc.httpPort!, '/healthz')).status).toBe(200);
      expect((await get(svc.httpPort!, '/readyz')).status).toBe(200);
    }
  });

  it('the executor exports invoke latency by outcome and tool, breaker states and the audit buffer', async () => {
    const { text } = await get(stack.executor.httpPort!, "/metrics");
    const org = stack.orgId;
    const count = 'switchboard_invoke_duration_seconds_count';
    expect(sample(text, count, { outcome: 'OUTCOME_SUCCESS', org, tool: 'ok_tool', test: 'false' })).toBe(1);
    expect(sample(text, count, { outcome: 'OUTCOME_UPSTREAM_ERROR', org, tool: 'failing_tool' })).toBe(2);
    expect(sample(text, count, { outcome: 'OUTCOME_CIRCUIT_OPEN', org, tool: 'failing_tool' })).toBe(2);
    expect(sample(text, 'switchboard_breaker_state', { org, tool: 'failing_tool' })).toBe(2);
    expect(sample(text, 'switchboard_breaker_state', { org, tool: 'ok_tool' })).toBe(0);
    expect(sample(text, 'switchboard_audit_published_total')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'switchboard_audit_dropped_total')).toBe(0);
    expect(sample(text, 'switchboard_audit_buffer_depth')).toBeDefined();
    // Every fdatasync of the audit spool is counted and timed, in the same scrape.
    const syncs = sample(text, 'switchboard_audit_spool_syncs_total');
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'switchboard_audit_spool_sync_duration_seconds_count')).toBe(syncs);
    expect(sample(text, 'switchboard_audit_spool_sync_duration_seconds_sum')).toBeGreaterThan(0);
    expect(text).toContain('switchboard_oauth_token_fetches_total');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('the logger exports what it wrote and its write latency', async () => {
    const { text } = await get(stack.logger!.httpPort!, '/metrics');
    expect(sample(text, 'switchboard_audit_written_total')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'switchboard_audit_write_seconds_count')).toBeGreaterThanOrEqual(1);
  });
});
