import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoApi } from '../../scripts/demo-api.mjs';
import { startStack, type Stack } from '../support/stack.js';
import { runCli } from '../registry/registry-helpers.js';

const KEY = 'demo-key-for-the-import-test';

describe("the demo API's own OpenAPI document, imported as the README shows", () => {
  let stack: Stack;
  let api: Server;
  let apiUrl: string;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    api = await startDemoApi({ port: 0, apiKey: KEY });
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    dir = await mkdtemp(path.join(tmpdir(), 'demo-import-'));
  });

  afterAll(async () => {
    api?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves /openapi.yaml without the API key; everything else still needs it', async () => {
    const doc = await fetch(`${apiUrl}/openapi.yaml`);
    expect(doc.status).toBe(200);
    expect(await doc.text()).toContain('operationId: listPatientAppointments');
    expect((await fetch(`${apiUrl}/patients/p-1001/appointments`)).status).toBe(401);
  });

  it('import openapi, credential set, apply and test work as written', async () => {
    const org = ['--org', stack.orgId, '--registry', `127.0.0.1:${stack.registry.port}`, '--executor', `127.0.0.1:${stack.executor.port}`];
    const out = path.join(dir, 'pms.yaml');
    const imported = await runCli([...org, 'import', 'openapi', `${apiUrl}/openapi.yaml`, '--out', out]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('imported 1 operation');
    expect(imported.stdout).toContain('switchboard credential set pms-api-key --type api_key');
    const stored = await runCli([...org, 'credential', 'set', 'pms-api-key', '--type', 'api_key'], { stdin: KEY });
    expect(stored.code, stored.stderr).toBe(0);
    const applied = await runCli([...org, 'apply', '-f', out]);
    expect(applied.stdout).toMatch(/^created +list_patient_appointments \(revision \d+\)$/m);
    expect(applied.stdout).not.toContain('warning');
    const tested = await runCli([...org, 'test', 'list_patient_appointments']);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toContain('< HTTP 200');
    expect(tested.stdout).toContain('Dr. Grace Hopper');
  });
});
