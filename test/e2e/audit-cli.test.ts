import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMethod, Integration, Outcome } from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { ROOT, startStack, type Stack } from '../support/stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('switchboard audit reads the trail back', () => {
  let upstream: Upstream;
  let stack: Stack;
  const callId = randomUUID();
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, [path.join(ROOT, 'packages/cli/dist/main.js'), '--org', stack.orgId, 'audit', ...args], { encoding: 'utf8', env: { ...process.env, NATS_URL: stack.env['NATS_URL'] } });

  beforeAll(async () => {
    upstream = await startUpstream();
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    for (const key of ['first_tool', 'second_tool']) {
      await stack.registryClient.create(
        Integration.fromPartial({ key, name: key, description: 'd', enabled: true, method: HttpMethod.HTTP_METHOD_GET, urlTemplate: `${upstream.url}/${key}` }),
      );
    }
    for (const key of ['first_tool', 'second_tool', 'first_tool']) {
      await waitFor(async () => {
        const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: key, callId, argumentsJson: '{}' });
        return r.outcome === Outcome.OUTCOME_SUCCESS ? r : undefined;
      }, 'invoke');
    }
    await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'first_tool', callId: randomUUID(), argumentsJson: '{}' });
    await waitFor(() => (readAuditLines(stack.auditDir).length >= 4 ? true : undefined), 'audit lines');
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('lists one call from the files, as a table and as JSON', () => {
    const table = cli('--dir', stack.auditDir, '--call-id', callId);
    expect(table.trim().split('\n')).toHaveLength(4);
    expect(table).toContain('second_tool');
    const events = JSON.parse(cli('--dir', stack.auditDir, '--call-id', callId, '--tool', 'first_tool', '--json')) as { toolKey: string; callId: string }[];
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.toolKey === 'first_tool' && e.callId === callId)).toBe(true);
  });

  it('reads the same events from the stream, filtered by time', () => {
    const args = ['--stream', '--stream-name', stack.env['AUDIT_STREAM']!, '--subject-prefix', stack.env['AUDIT_SUBJECT_PREFIX']!, '--json'];
    expect(JSON.parse(cli(...args))).toHaveLength(4);
    expect(JSON.parse(cli(...args, '--call-id', callId))).toHaveLength(3);
    expect(JSON.parse(cli(...args, '--since', new Date(Date.now() + 60_000).toISOString()))).toHaveLength(0);
  });

  it('explains a bad time', () => {
    expect(() => cli('--dir', stack.auditDir, '--since', 'yesterday-ish')).toThrow(/--since must be a date/);
  });
});
