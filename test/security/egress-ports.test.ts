import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthType, BurdenLevel, HttpMethod, Integration, Outcome } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

// Issue 17.6: allowing one loopback address used to open every port of it, redirects included. The
// executor here allows exactly one port of 127.0.0.1; a second server on another port of the same
// address must never see a connection, neither called directly nor through a followed redirect.

describe('the egress allow-list is per host and port', () => {
  let allowed: Upstream;
  let other: Upstream;
  let stack: Stack;

  const tool = (key: string, url: string) =>
    Integration.fromPartial({
      key,
      name: key,
      description: `The ${key} tool.`,
      enabled: true,
      method: HttpMethod.HTTP_METHOD_GET,
      urlTemplate: url,
      auth: { type: AuthType.AUTH_TYPE_NONE },
      burden: { level: BurdenLevel.BURDEN_LEVEL_AMBIENT, confirmationPrompt: '', fillerPhrase: '' },
      maxRedirects: 2,
    });
  const invoke = (toolKey: string) =>
    stack.executorClient.invoke({ orgId: stack.orgId, toolKey, callId: randomUUID(), argumentsJson: '{}', context: undefined });

  beforeAll(async () => {
    other = await startUpstream((_req, res) => json(res, 200, { reached: 'the other port' }));
    allowed = await startUpstream((req, res) => {
      if (req.url === '/to-other-port') {
        res.writeHead(302, { location: `${other.url}/landed` });
        res.end();
        return;
      }
      json(res, 200, { reached: 'the allowed port' });
    });
    stack = await startStack({ egressAllow: `127.0.0.1:${allowed.port}`, withLogger: false });
    await stack.registryClient.create(tool('allowed_port', `${allowed.url}/ok`));
    await stack.registryClient.create(tool('other_port', `${other.url}/direct`));
    await stack.registryClient.create(tool('redirect_to_other_port', `${allowed.url}/to-other-port`));
    await waitFor(async () => ((await invoke('redirect_to_other_port')).outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true), 'definitions');
  });

  afterAll(async () => {
    await stack?.stop();
    await allowed?.close();
    await other?.close();
  });

  it('reaches the allowed port', async () => {
    const res = await invoke('allowed_port');
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
  });

  it('refuses another port of the same address, called directly or reached by a redirect', async () => {
    const direct = await invoke('other_port');
    expect(direct.outcome).toBe(Outcome.OUTCOME_EGRESS_BLOCKED);
    expect(direct.detail).toContain(`port ${other.port}`);
    const redirected = await invoke('redirect_to_other_port');
    expect(redirected.outcome).toBe(Outcome.OUTCOME_EGRESS_BLOCKED);
    expect(allowed.requests.some((r) => r.url === '/to-other-port')).toBe(true);
    expect(other.requests).toEqual([]);
  });
});
