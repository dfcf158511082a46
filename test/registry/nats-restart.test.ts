import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialType, Outcome } from '@switchboard/contracts';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { waitFor } from '../support/audit-files.js';
import { clone, lookupDefinition, refusalOf, status, type Refusal } from './registry-helpers.js';

const API_KEY = 'sk_test_nats_restart_6b1f9e20';

/**
 * The registry's store is NATS: definitions and credentials must outlive a NATS restart, and a running
 * executor must keep following the change feed after it (not serve what it held before forever).
 */
describe('registry: definitions across a NATS restart', () => {
  let nats: PrivateNatsServer;
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    nats = await startNatsServer();
    upstream = await startUpstream((req, res) =>
      req.headers['x-api-key'] === API_KEY ? json(res, 200, { appointments: [{ time: '08:00' }] }) : json(res, 401, {}),
    );
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false, env: { NATS_URL: nats.url } });
  });

  afterAll(async () => {
    // The streams live on the private server, which is thrown away with its store. The executor would
    // spend seconds flushing the audit event of the invoke made during the outage: not this test's subject.
    await stack?.executor.stop('SIGKILL');
    await stack?.stop().catch(() => undefined);
    await nats?.dispose();
    await upstream?.close();
  });

  it('keeps definitions and credentials, and the running executor sees a change made after NATS came back within a second', async () => {
    const org = stack.client(stack.orgId);
    await org.putCredential('pms-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    const def = lookupDefinition('look_up', upstream.url, 'pms-key');
    const created = await org.create(def);
    const invoke = () => stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'look_up', argumentsJson: '{"patient_id":"p-1"}' });
    await waitFor(async () => ((await invoke()).outcome === Outcome.OUTCOME_SUCCESS ? true : undefined), 'the first invoke');

    await nats.stop();
    expect((await invoke()).outcome).toBe(Outcome.OUTCOME_SUCCESS);
    await nats.start();

    // The registry reconnects on its own; until it has, it answers UNAVAILABLE (retryable), never INTERNAL.
    const refusals: Refusal[] = [];
    const after = await waitFor(
      async () =>
        org.get('look_up').catch((err: unknown) => {
          refusals.push(refusalOf(err));
          return undefined;
        }),
      'the registry to read from NATS again',
    );
    for (const r of refusals) expect(r).toMatchObject({ code: status.UNAVAILABLE, details: 'the registry cannot reach its store (NATS) right now; retry in a moment' });
    expect(after.revision).toBe(created.revision);
    expect(after.integration).toEqual(def);
    expect((await org.listCredentials()).map((c) => c.credentialId)).toEqual(['pms-key']);

    const disabled = clone(def);
    disabled.enabled = false;
    const t0 = performance.now();
    await org.update(disabled, after.revision);
    const seen = await waitFor(async () => ((await invoke()).outcome === Outcome.OUTCOME_DISABLED ? performance.now() - t0 : undefined), 'the executor to see the disable', 5_000);
    // The feed's "about a second", plus the update and invoke round trips, right after NATS restarted and
    // every client reconnected; a feed that did not resume would miss this (the wait above allows 5 s).
    expect(seen).toBeLessThan(2_500);
  });
});
