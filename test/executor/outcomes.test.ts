import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthType,
  BurdenLevel,
  CredentialType,
  ParameterLocation as In,
  ParameterType,
  StringFormat,
} from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditOf, define, invoke, outcomeName, register, startExecutorStack, waitUntilKnown } from './helpers.js';

/**
 * Failure outcomes that need no upstream answer, on an executor with the default egress policy (no
 * allow-list): loopback upstreams are refused before a socket is opened.
 */
describe('failure outcomes on an executor with no egress allow-list', () => {
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => json(res, 200, { ok: true }));
    stack = await startExecutorStack();
    await stack.registryClient.putCredential('blocked-oauth', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'c', client_secret: 'oauth_secret_blocked_77' });
    const q = { name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY };
    await register(
      stack,
      define({ key: 'loopback_ip', urlTemplate: `${upstream.url}/x`, parameters: [q] }),
      define({ key: 'loopback_name', urlTemplate: `http://localhost:${upstream.port}/x`, parameters: [q] }),
      define({
        key: 'loopback_token',
        urlTemplate: 'https://api.example.invalid/x',
        parameters: [q],
        auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'blocked-oauth', oauth2: { tokenUrl: `${upstream.url}/token` } },
      }),
      define({
        key: 'book_visit',
        urlTemplate: `${upstream.url}/visits`,
        parameters: [
          { name: 'patient_id', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_QUERY, pattern: '^p-[0-9]+$' },
          { name: 'date', type: ParameterType.PARAMETER_TYPE_STRING, required: true, format: StringFormat.STRING_FORMAT_DATE, location: In.PARAMETER_LOCATION_QUERY },
          { name: 'party', type: ParameterType.PARAMETER_TYPE_INTEGER, location: In.PARAMETER_LOCATION_QUERY, minimum: 1, maximum: 8 },
          { name: 'kind', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY, enumValues: ['checkup', 'cleaning'] },
        ],
      }),
      define({
        key: 'cancel_visit',
        urlTemplate: `${upstream.url}/cancel`,
        parameters: [q],
        burden: { level: BurdenLevel.BURDEN_LEVEL_REQUESTED, fillerPhrase: '', confirmationPrompt: '', acceptedVerificationMethods: [] },
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('EGRESS_BLOCKED for a loopback upstream, by address or by name, and nothing reaches it', async () => {
    for (const key of ['loopback_ip', 'loopback_name']) {
      const res = await invoke(stack, key, { q: 'x' });
      expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_EGRESS_BLOCKED');
      expect(res.reason).toBe('EGRESS_BLOCKED');
      expect(res.detail).toContain('SWITCHBOARD_EGRESS_ALLOW');
      expect(res.agentMessage).not.toBe('');
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('EGRESS_BLOCKED for a loopback OAuth token endpoint too', async () => {
    const res = await invoke(stack, 'loopback_token', { q: 'x' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_EGRESS_BLOCKED');
    expect(upstream.requests).toHaveLength(0);
  });

  it('a blocked destination does not open the breaker (it is a configuration problem, not an outage)', async () => {
    for (let i = 0; i < 8; i++) expect(outcomeName((await invoke(stack, 'loopback_ip', { q: String(i) })).outcome)).toBe('OUTCOME_EGRESS_BLOCKED');
  });

  it('NOT_FOUND for an unknown key and for another org’s key alike', async () => {
    const unknown = await invoke(stack, 'no_such_tool', {});
    expect(outcomeName(unknown.outcome)).toBe('OUTCOME_NOT_FOUND');
    expect(unknown.reason).toBe('NOT_FOUND');
    expect(unknown.agentMessage).not.toBe('');
    const other = await stack.executorClient.invoke({ orgId: 'some-other-org', toolKey: 'loopback_ip', argumentsJson: '{"q":"x"}' });
    expect(outcomeName(other.outcome)).toBe('OUTCOME_NOT_FOUND');
    expect(other.detail.replace('some-other-org', 'ORG')).toBe(unknown.detail.replace('no_such_tool', 'loopback_ip').replace(stack.orgId, 'ORG'));
  });

  it('DISABLED within about a second of being disabled, NOT_FOUND within about a second of being deleted', async () => {
    const record = await stack.registryClient.create(define({ key: 'soon_disabled', urlTemplate: `${upstream.url}/d` }));
    await waitUntilKnown(stack, 'soon_disabled');
    const updated = await stack.registryClient.update({ ...record.integration!, enabled: false }, record.revision);
    const disabledAt = Date.now();
    const disabled = await waitFor(async () => {
      const r = await invoke(stack, 'soon_disabled');
      return outcomeName(r.outcome) === 'OUTCOME_DISABLED' ? r : undefined;
    }, 'the executor to see the integration disabled');
    // "About a second" for the feed, plus the probing invoke round trips and 50 ms polls of a loaded machine.
    expect(Date.now() - disabledAt).toBeLessThan(2_000);
    expect(disabled.reason).toBe('DISABLED');
    expect(disabled.agentMessage).not.toBe('');

    await stack.registryClient.delete('soon_disabled', updated.revision);
    const deletedAt = Date.now();
    await waitFor(async () => (outcomeName((await invoke(stack, 'soon_disabled')).outcome) === 'OUTCOME_NOT_FOUND' ? true : undefined), 'the delete');
    // As above: the feed's second plus the invoke round trips that observe it.
    expect(Date.now() - deletedAt).toBeLessThan(2_000);
  });

  it('INVALID_ARGUMENTS with one message per field that the model can act on', async () => {
    const res = await invoke(stack, 'book_visit', { date: '12/01/2026', party: 9.5, kind: 'surgery', colour: 'blue', patient_idd: 'p-1' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
    expect(res.reason).toBe('INVALID_ARGUMENTS');
    expect(res.fieldErrors).toEqual([
      { field: 'patient_id', message: 'patient_id is required' },
      { field: 'date', message: 'date must be a date in the form YYYY-MM-DD' },
      { field: 'party', message: 'party must be a whole number' },
      { field: 'kind', message: 'kind must be one of: checkup, cleaning' },
      { field: 'colour', message: 'unknown argument colour; expected one of: patient_id, date, party, kind' },
      { field: 'patient_idd', message: 'unknown argument patient_idd; expected one of: patient_id, date, party, kind' },
    ]);
    const more = await invoke(stack, 'book_visit', { patient_id: 'x-1', date: '2026-02-30', party: 0 });
    expect(more.fieldErrors).toEqual([
      { field: 'patient_id', message: 'patient_id must match the pattern ^p-[0-9]+$' },
      { field: 'date', message: 'date must be a real calendar date in the form YYYY-MM-DD' },
      { field: 'party', message: 'party must be at least 1' },
    ]);
    const notJson = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'book_visit', argumentsJson: '{"date": ' });
    expect(outcomeName(notJson.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
    expect(upstream.requests).toHaveLength(0);
  });

  it('POLICY_BLOCKED for a caller-requested tool the caller did not ask for', async () => {
    const res = await invoke(stack, 'cancel_visit', { q: 'x' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_POLICY_BLOCKED');
    expect(res.reason).toBe('CALLER_REQUEST_REQUIRED');
    expect(res.agentMessage).not.toBe('');
    expect((await auditOf(stack, res.invocationId)).gate?.decision).toBe('BLOCKED');
    expect(upstream.requests).toHaveLength(0);
  });
});
