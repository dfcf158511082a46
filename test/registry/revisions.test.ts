import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialType, Outcome, type InvokeResponse } from '@switchboard/contracts';
import type { RegistryClient } from '@switchboard/client';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { waitFor } from '../support/audit-files.js';
import { clone, example, lookupDefinition, refusal, refusalOf, status } from './registry-helpers.js';

const API_KEY = 'sk_test_revisions_8c21f0aa93';

describe('registry: revisions, conflicts, restarts and how fast executors follow', () => {
  let stack: Stack;
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.headers['x-api-key'] !== API_KEY) return json(res, 401, { error: 'bad key' });
      json(res, 200, { appointments: [{ time: '09:30' }] });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('of two writers that read the same revision exactly one wins; the other is told to read again', async () => {
    const org = stack.client(`org-race-${stack.id}`);
    const base = example('appointment-lookup.yaml');
    let read = await org.create(base);
    // Several rounds, so that both the early check and the store's compare-and-set decide some races.
    for (let round = 0; round < 8; round++) {
      const [a, b] = [clone(base), clone(base)];
      a.name = `Writer A round ${round}`;
      b.name = `Writer B round ${round}`;
      const results = await Promise.allSettled([org.update(a, read.revision), org.update(b, read.revision)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const why = refusalOf(lost[0]!.reason);
      expect(why.code).toBe(status.ABORTED);
      expect(why.reason).toBe('REVISION_CONFLICT');
      expect(why.details).toMatch(
        new RegExp(`^integration appointment_lookup was changed since revision ${read.revision} \\(.+\\); read it again and reapply your change$`),
      );
      const winner = won[0]!.value;
      expect(winner.revision).toBeGreaterThan(read.revision);
      const now = await org.get(base.key);
      expect(now.revision).toBe(winner.revision);
      expect(now.integration!.name).toBe(winner.integration!.name);
      read = now;
    }
  });

  it('keeps every revision readable, refuses a stale or missing expected revision, and shows a delete in the history', async () => {
    const org = stack.client(`org-hist-${stack.id}`);
    const v1 = example('crm-lead.yaml');
    const r1 = await org.create(v1);
    const v2 = clone(v1);
    v2.description = 'Records a lead for the sales team. Use it when the caller wants a call back about a product.';
    const r2 = await org.update(v2, r1.revision);
    const v3 = clone(v2);
    v3.enabled = false;
    const r3 = await org.update(v3, r2.revision);

    expect((await org.history(v1.key)).map((r) => [r.revision, r.integration?.description, r.integration?.enabled])).toEqual([
      [r1.revision, v1.description, true],
      [r2.revision, v2.description, true],
      [r3.revision, v2.description, false],
    ]);
    expect((await org.get(v1.key, r1.revision)).integration).toEqual(v1);
    expect((await org.get(v1.key, r2.revision)).integration).toEqual(v2);
    expect((await org.get(v1.key)).revision).toBe(r3.revision);
    // The first revision's creation time is kept by every later one.
    expect((await org.get(v1.key)).createdAt).toEqual(r1.createdAt);

    const stale = await refusal(org.update(v1, r1.revision));
    expect(stale).toMatchObject({ code: status.ABORTED, reason: 'REVISION_CONFLICT' });
    expect(stale.details).toContain(`the current revision is ${r3.revision}`);
    const blind = await refusal(org.update(v1, 0));
    expect(blind).toMatchObject({ code: status.INVALID_ARGUMENT, fields: [{ field: 'expected_revision' }] });
    const staleDelete = await refusal(org.delete(v1.key, r2.revision));
    expect(staleDelete.code).toBe(status.ABORTED);
    const missing = await refusal(org.get(v1.key, r3.revision + 1000));
    expect(missing).toMatchObject({ code: status.NOT_FOUND, details: `revision ${r3.revision + 1000} of integration crm_lead does not exist in org ${org.orgId}` });

    await org.delete(v1.key, r3.revision);
    expect((await refusal(org.get(v1.key))).code).toBe(status.NOT_FOUND);
    expect(await org.list()).toEqual([]);
    const history = await org.history(v1.key);
    expect(history.map((r) => r.revision).slice(0, 3)).toEqual([r1.revision, r2.revision, r3.revision]);
    expect(history).toHaveLength(4);
    expect(history[3]!.integration).toBeUndefined();
    expect(history[3]!.revision).toBeGreaterThan(r3.revision);
    // Old revisions stay readable after the delete; deleting again finds nothing.
    expect((await org.get(v1.key, r2.revision)).integration).toEqual(v2);
    expect((await refusal(org.delete(v1.key))).code).toBe(status.NOT_FOUND);

    // Creating it again starts from the deleted state without losing the history.
    const again = await org.create(v1);
    expect((await org.history(v1.key)).map((r) => r.revision)).toEqual([...history.map((r) => r.revision), again.revision]);
    const dup = await refusal(org.create(v1));
    expect(dup.code).toBe(status.ALREADY_EXISTS);
  });

  describe('with a running executor', () => {
    let org: RegistryClient;
    const orgId = () => org.orgId;
    const invoke = (key: string): Promise<InvokeResponse> =>
      stack.executorClient.invoke({ orgId: orgId(), toolKey: key, argumentsJson: JSON.stringify({ patient_id: 'p-7' }) });

    /** Writes, then invokes until the outcome is `until`; returns the milliseconds from before the write. */
    async function timeToSee(write: () => Promise<unknown>, key: string, until: Outcome): Promise<number> {
      const t0 = performance.now();
      await write();
      for (;;) {
        const res = await invoke(key);
        const elapsed = performance.now() - t0;
        if (res.outcome === until) return elapsed;
        if (elapsed > 5_000) throw new Error(`still ${res.outcome} after ${elapsed.toFixed(0)} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }

    beforeAll(async () => {
      org = stack.client(`org-live-${stack.id}`);
      await org.putCredential('pms-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    });

    it('definitions survive a registry restart, and invokes keep working while the registry is down', async () => {
      const created = await org.create(lookupDefinition('survivor', upstream.url, 'pms-key'));
      await waitFor(async () => ((await invoke('survivor')).outcome === Outcome.OUTCOME_SUCCESS ? true : undefined), 'the executor to serve survivor');

      await stack.registry.stop();
      expect((await invoke('survivor')).outcome).toBe(Outcome.OUTCOME_SUCCESS);
      await stack.restart('registry');

      const fresh = stack.client(orgId());
      const after = await fresh.get('survivor');
      expect(after.revision).toBe(created.revision);
      expect(after.integration).toEqual(created.integration);
      expect((await fresh.listCredentials()).map((c) => c.credentialId)).toEqual(['pms-key']);
      expect((await invoke('survivor')).outcome).toBe(Outcome.OUTCOME_SUCCESS);
    });

    it('an update, a disable and a delete reach the running executor in under a second', async () => {
      const client = stack.client(orgId());
      const def = lookupDefinition('follower', upstream.url, 'pms-key');

      const createMs = await timeToSee(() => client.create(def), 'follower', Outcome.OUTCOME_SUCCESS);

      const wrongKey = clone(def);
      wrongKey.auth!.credentialId = 'not-stored';
      const rev1 = (await client.get('follower')).revision;
      const updateMs = await timeToSee(() => client.update(wrongKey, rev1), 'follower', Outcome.OUTCOME_AUTH_FAILED);

      const disabled = clone(def);
      disabled.enabled = false;
      const rev2 = (await client.get('follower')).revision;
      const disableMs = await timeToSee(() => client.update(disabled, rev2), 'follower', Outcome.OUTCOME_DISABLED);
      const disabledAnswer = await invoke('follower');
      expect(disabledAnswer.detail).toContain('follower');

      const rev3 = (await client.get('follower')).revision;
      const enableMs = await timeToSee(() => client.update(def, rev3), 'follower', Outcome.OUTCOME_SUCCESS);

      const deleteMs = await timeToSee(() => client.delete('follower'), 'follower', Outcome.OUTCOME_NOT_FOUND);

      for (const [what, ms] of Object.entries({ createMs, updateMs, disableMs, enableMs, deleteMs })) {
        expect(ms, `${what}: ${ms.toFixed(0)} ms`).toBeLessThan(1000);
      }
    });
  });
});
