import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialType, Outcome, ToolFormat, type IntegrationRecord } from '@switchboard/contracts';
import type { RegistryClient } from '@switchboard/client';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { waitFor } from '../support/audit-files.js';
import { lookupDefinition, refusal, status, type Refusal } from './registry-helpers.js';

const B_SECRET = 'sk_live_tenant_b_5d0c3e9a71';
const B_KEY = 'b_private_lookup';
const B_CREDENTIAL = 'b-private-key';
const GHOST_KEY = 'never_existed_xyz';
const GHOST_CREDENTIAL = 'never-existed-cred';

/** The answer with the name the caller supplied replaced, so that B's and a ghost's can be compared. */
function shape(r: Refusal, name: string): { code: number; reason: string | undefined; details: string; fields: unknown } {
  return { code: r.code, reason: r.reason, details: r.details.replaceAll(name, '<name>'), fields: r.fields };
}

describe('registry and executor: org A learns nothing about org B', () => {
  let stack: Stack;
  let upstream: Upstream;
  let a: RegistryClient;
  let b: RegistryClient;
  let bRecord: IntegrationRecord;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.headers['x-api-key'] !== B_SECRET) return json(res, 401, { error: 'bad key' });
      json(res, 200, { appointments: [{ time: '11:15' }] });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    a = stack.client(`org-a-${stack.id}`);
    b = stack.client(`org-b-${stack.id}`);
    await b.putCredential(B_CREDENTIAL, CredentialType.CREDENTIAL_TYPE_API_KEY, { value: B_SECRET });
    bRecord = await b.create(lookupDefinition(B_KEY, upstream.url, B_CREDENTIAL));
    await a.create(lookupDefinition('a_own_lookup', upstream.url, 'a-key'));
    await waitFor(async () => {
      const r = await stack.executorClient.invoke({ orgId: b.orgId, toolKey: B_KEY, argumentsJson: '{"patient_id":"p-1"}' });
      return r.outcome === Outcome.OUTCOME_SUCCESS ? r : undefined;
    }, "org B's tool to work");
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  /** Runs the same refused call on B's name and on a name nobody ever used; both must read alike. */
  async function sameAsMissing(call: (name: string) => Promise<unknown>, bName: string, ghost: string): Promise<Refusal> {
    const onB = await refusal(call(bName));
    const onGhost = await refusal(call(ghost));
    expect(shape(onB, bName)).toEqual(shape(onGhost, ghost));
    expect(onB.details).toContain(bName);
    expect(onB.details).toContain(a.orgId);
    expect(onB.details).not.toContain(b.orgId);
    return onB;
  }

  it("GetIntegration, UpdateIntegration, DeleteIntegration and ListRevisions refuse B's integration exactly as a missing one", async () => {
    const bDef = bRecord.integration!;
    const rev = bRecord.revision;
    expect((await sameAsMissing((k) => a.get(k), B_KEY, GHOST_KEY)).code).toBe(status.NOT_FOUND);
    expect((await sameAsMissing((k) => a.get(k, rev), B_KEY, GHOST_KEY)).code).toBe(status.NOT_FOUND);
    expect((await sameAsMissing((k) => a.update({ ...bDef, key: k, enabled: false }, rev), B_KEY, GHOST_KEY)).code).toBe(status.NOT_FOUND);
    expect((await sameAsMissing((k) => a.delete(k, rev), B_KEY, GHOST_KEY)).code).toBe(status.NOT_FOUND);
    expect((await sameAsMissing((k) => a.delete(k), B_KEY, GHOST_KEY)).code).toBe(status.NOT_FOUND);
    expect((await sameAsMissing((k) => a.history(k), B_KEY, GHOST_KEY)).code).toBe(status.NOT_FOUND);
    // A revision number of B's, asked for under A's own integration, is not there either.
    const own = await refusal(a.get('a_own_lookup', rev));
    expect(own).toMatchObject({ code: status.NOT_FOUND, details: `revision ${rev} of integration a_own_lookup does not exist in org ${a.orgId}` });
  });

  it("ListIntegrations, ListCredentials and ListTools show only A's own things", async () => {
    expect((await a.list()).map((r) => [r.orgId, r.integration!.key])).toEqual([[a.orgId, 'a_own_lookup']]);
    expect(await a.listCredentials()).toEqual([]);
    for (const format of [ToolFormat.TOOL_FORMAT_OPENAI, ToolFormat.TOOL_FORMAT_ANTHROPIC, ToolFormat.TOOL_FORMAT_MCP]) {
      const tools = await a.tools(format);
      expect(tools.tools.map((t) => t.name)).toEqual(['a_own_lookup']);
      expect(tools.documentJson).not.toContain(B_KEY);
    }
  });

  it("DeleteCredential and PutCredential on B's credential id touch only A's namespace", async () => {
    expect((await sameAsMissing((id) => a.deleteCredential(id), B_CREDENTIAL, GHOST_CREDENTIAL)).code).toBe(status.NOT_FOUND);
    const before = (await b.listCredentials())[0]!;

    const onB = await a.putCredential(B_CREDENTIAL, CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'sk_test_a_own_value_0001' });
    const onGhost = await a.putCredential(GHOST_CREDENTIAL, CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'sk_test_a_own_value_0001' });
    expect({ ...onB, credentialId: '<id>', updatedAt: undefined }).toEqual({ ...onGhost, credentialId: '<id>', updatedAt: undefined });
    expect(onB.orgId).toBe(a.orgId);

    // B's credential is as it was, and B's tool still authenticates with B's secret.
    expect((await b.listCredentials())[0]).toEqual(before);
    const res = await stack.executorClient.invoke({ orgId: b.orgId, toolKey: B_KEY, argumentsJson: '{"patient_id":"p-1"}' });
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe(B_SECRET);
    await a.deleteCredential(B_CREDENTIAL);
    await a.deleteCredential(GHOST_CREDENTIAL);
  });

  it("creating an integration with B's key is A's own, so it reveals nothing either", async () => {
    const mine = await a.create(lookupDefinition(B_KEY, upstream.url, 'a-key'));
    expect(mine.orgId).toBe(a.orgId);
    expect((await b.get(B_KEY)).revision).toBe(bRecord.revision);
    expect((await a.history(B_KEY)).map((r) => r.revision)).toEqual([mine.revision]);
    await a.delete(B_KEY, mine.revision);
  });

  it("Invoke and Test of B's tool from A answer NOT_FOUND exactly as for a tool that never existed, and send nothing", async () => {
    const sent = upstream.requests.length;
    const invoke = (toolKey: string) => stack.executorClient.invoke({ orgId: a.orgId, toolKey, argumentsJson: '{"patient_id":"p-1"}' });
    const [onB, onGhost] = await Promise.all([invoke(B_KEY), invoke(GHOST_KEY)]);
    const comparable = (r: typeof onB, name: string) => ({
      outcome: r.outcome,
      reason: r.reason,
      agentMessage: r.agentMessage,
      detail: r.detail.replaceAll(name, '<name>'),
      resultJson: r.resultJson,
      fieldErrors: r.fieldErrors,
    });
    expect(onB.outcome).toBe(Outcome.OUTCOME_NOT_FOUND);
    expect(comparable(onB, B_KEY)).toEqual(comparable(onGhost, GHOST_KEY));
    expect(onB.detail).not.toContain(b.orgId);

    const test = (toolKey: string) => stack.executorClient.test({ orgId: a.orgId, toolKey });
    const [testB, testGhost] = await Promise.all([test(B_KEY), test(GHOST_KEY)]);
    expect(testB.result?.outcome).toBe(Outcome.OUTCOME_NOT_FOUND);
    expect(comparable(testB.result!, B_KEY)).toEqual(comparable(testGhost.result!, GHOST_KEY));
    expect(testB.request).toEqual(testGhost.request);
    expect(testB.response).toEqual(testGhost.response);
    expect(JSON.stringify(testB)).not.toContain(b.orgId);
    expect(upstream.requests.length).toBe(sent);
  });
});
