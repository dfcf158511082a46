import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialType, Outcome } from '@switchboard/contracts';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { ROOT, startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

const API_KEY = 'sk_live_thinpath_4f1c9a77d2';

describe('thin path: registry → executor → upstream → audit logger', () => {
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const m = /^\/patients\/([^/]+)\/appointments\?date=([^&]+)$/.exec(req.url);
      if (!m || req.headers['x-api-key'] !== API_KEY) return json(res, 404, { error: 'no' });
      json(res, 200, {
        patient: { id: decodeURIComponent(m[1]!) },
        appointments: [{ date: m[2], time: '09:30', provider: 'Dr. Hopper' }, { time: '15:00', provider: 'Dr. Turing' }],
      });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    const text = readFileSync(path.join(ROOT, 'examples/demo/look-up-appointments.yaml'), 'utf8').replaceAll('DEMO_API', upstream.url);
    const { integrations, problems } = parseIntegrationDocuments(text, 'demo.yaml');
    expect(problems).toEqual([]);
    await stack.registryClient.create(integrations[0]!);
    const info = await stack.registryClient.putCredential('demo-pms-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    expect(JSON.stringify(info)).not.toContain(API_KEY);
    expect(info.hint).toBe('••••77d2');
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('invokes with the API key, the expanded URL and the correlation headers, and maps two fields', async () => {
    const callId = randomUUID();
    const res = await waitFor(async () => {
      const r = await stack.executorClient.invoke({
        orgId: stack.orgId,
        toolKey: 'look_up_appointments',
        callId,
        argumentsJson: JSON.stringify({ patient_id: 'p 1/2', date: '2026-12-01' }),
      });
      return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : r;
    }, 'the executor to see the new integration');
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(JSON.parse(res.resultJson)).toEqual({ next_time: '09:30', provider: 'Dr. Hopper' });
    expect(res.summary).toBe('The next appointment is at 09:30 with Dr. Hopper.');
    const seen = upstream.requests.at(-1)!;
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/patients/p%201%2F2/appointments?date=2026-12-01');
    expect(seen.headers['x-api-key']).toBe(API_KEY);
    expect(seen.headers['x-allison-call-id']).toBe(callId);
    expect(seen.headers['x-allison-org-id']).toBe(stack.orgId);
    expect(seen.headers['x-allison-tool-key']).toBe('look_up_appointments');
    expect(JSON.stringify(res)).not.toContain(API_KEY);

    const line = await waitFor(
      () => readAuditLines(stack.auditDir).find((l) => l['invocationId'] === res.invocationId),
      'the audit line for the invocation',
    );
    expect(line).toMatchObject({ orgId: stack.orgId, callId, toolKey: 'look_up_appointments', outcome: 'OUTCOME_SUCCESS', httpStatus: 200 });
    expect(JSON.stringify(line)).not.toContain(API_KEY);
  });

  it('omits X-Allison-Call-ID while the call is not bound', async () => {
    const res = await stack.executorClient.invoke({
      orgId: stack.orgId,
      toolKey: 'look_up_appointments',
      argumentsJson: JSON.stringify({ patient_id: 'p-1', date: '2026-12-01' }),
    });
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers['x-allison-call-id']).toBeUndefined();
    expect(seen.headers['x-allison-org-id']).toBe(stack.orgId);
  });

  it('Test sends none of the correlation headers and returns the full, redacted request and response', async () => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'look_up_appointments' });
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).toBe('/patients/p-1001/appointments?date=2026-12-01');
    for (const h of ['x-allison-call-id', 'x-allison-org-id', 'x-allison-tool-key']) expect(seen.headers[h]).toBeUndefined();
    expect(seen.headers['x-api-key']).toBe(API_KEY);

    expect(res.result?.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(res.request?.url).toBe(`${upstream.url}/patients/p-1001/appointments?date=2026-12-01`);
    expect(res.request?.headers).toContainEqual({ name: 'x-api-key', value: '[REDACTED]' });
    expect(res.response?.status).toBe(200);
    expect(JSON.parse(res.response!.body)).toMatchObject({ appointments: [{ time: '09:30' }, { time: '15:00' }] });
    expect(res.response?.headers.some((h) => h.name === 'content-type')).toBe(true);
    expect(res.latency!.totalMs).toBeGreaterThan(0);
    expect(res.latency!.firstByteMs).toBeGreaterThan(0);
    expect(JSON.stringify(res)).not.toContain(API_KEY);
  });

  it('never logs the API key', () => {
    for (const svc of [stack.registry, stack.executor, stack.logger!]) expect(svc.output()).not.toContain(API_KEY);
  });
});
