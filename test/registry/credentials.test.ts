import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { CredentialType, Outcome } from '@switchboard/contracts';
import { NATS_URL, ROOT, startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { waitFor } from '../support/audit-files.js';
import { lookupDefinition, refusal, runCli, status, type CliResult } from './registry-helpers.js';

const key = () => randomBytes(32).toString('base64');
const K1 = `k1:${key()}`;
const K2 = `k2:${key()}`;

/** Secrets planted so that the whole output of the system can be searched for them afterwards. */
const PLANTED = `sk_live_PLANTED_${randomBytes(12).toString('hex')}`;
const OTHER_ORG_SECRET = `sk_live_ORG_B_${randomBytes(12).toString('hex')}`;
const ROTATED_SECRET = `sk_live_ROTATE_${randomBytes(12).toString('hex')}`;
const CLI_SECRET = `sk_live_CLI_${randomBytes(12).toString('hex')}`;
const ALL_SECRETS = [PLANTED, OTHER_ORG_SECRET, ROTATED_SECRET, CLI_SECRET];

/** Runs `node services/registry/dist/main.js rotate-keys` with the registry's environment. */
function rotateKeys(env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'services', 'registry', 'dist', 'main.js'), 'rotate-keys'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('registry: credentials are write-only, bound to their org and id, and survive key rotation', () => {
  let stack: Stack;
  let upstream: Upstream;
  let nc: NatsConnection;
  let kv: KV;
  /** Every response, error and command output the tests saw, searched for the secrets at the end. */
  const seen: string[] = [];
  const keysAccepted = new Set<string>();

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const k = req.headers['x-api-key'];
      if (typeof k !== 'string' || !keysAccepted.has(k)) return json(res, 401, { error: 'unknown API key' });
      json(res, 200, { appointments: [{ time: '09:30' }] });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false, env: { SWITCHBOARD_MASTER_KEYS: K1 } });
    nc = await connect({ servers: NATS_URL });
    kv = await new Kvm(nc).open(stack.env['CREDENTIALS_BUCKET']!);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await upstream?.close();
  });

  const invoke = async (orgId: string, toolKey: string) => {
    const res = await stack.executorClient.invoke({ orgId, toolKey, argumentsJson: JSON.stringify({ patient_id: 'p-1' }) });
    seen.push(JSON.stringify(res));
    return res;
  };
  const invokeUntil = (orgId: string, toolKey: string, outcome: Outcome) =>
    waitFor(async () => {
      const r = await invoke(orgId, toolKey);
      return r.outcome === outcome ? r : undefined;
    }, `${toolKey} in ${orgId} to answer ${outcome}`);

  it('never returns the secret: Put and List answer metadata with a masked hint', async () => {
    keysAccepted.add(PLANTED);
    const org = stack.client(`org-put-${stack.id}`);
    const info = await org.putCredential('pms-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: PLANTED });
    seen.push(JSON.stringify(info));
    expect(info).toMatchObject({ credentialId: 'pms-key', orgId: org.orgId, type: CredentialType.CREDENTIAL_TYPE_API_KEY, keyId: 'k1' });
    expect(info.hint).toBe(`••••${PLANTED.slice(-4)}`);

    const short = await org.putCredential('short-key', CredentialType.CREDENTIAL_TYPE_BEARER, { token: 'abc123' });
    seen.push(JSON.stringify(short));
    expect(short.hint).toBe('••••');

    const listed = await org.listCredentials();
    seen.push(JSON.stringify(listed));
    expect(listed.map((c) => [c.credentialId, c.hint])).toEqual([
      ['pms-key', `••••${PLANTED.slice(-4)}`],
      ['short-key', '••••'],
    ]);

    // At rest too, only ciphertext.
    const raw = await kv.get(`${org.orgId}.pms-key`);
    expect(raw!.string()).not.toContain(PLANTED);
    expect(raw!.json<{ sealed: string }>().sealed).toMatch(/^v1\.k1\./);

    await org.create(lookupDefinition('look_up', upstream.url, 'pms-key'));
    const ok = await invokeUntil(org.orgId, 'look_up', Outcome.OUTCOME_SUCCESS);
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe(PLANTED);
    expect(ok.resultJson).toBe('{"time":"09:30"}');
    const tested = await stack.executorClient.test({ orgId: org.orgId, toolKey: 'look_up' });
    seen.push(JSON.stringify(tested));
    expect(tested.request?.headers).toContainEqual({ name: 'x-api-key', value: '[REDACTED]' });
  });

  it('a refused PutCredential names the fields but never echoes a value', async () => {
    const org = stack.client(`org-put-${stack.id}`);
    const cases: { type: CredentialType; secret: Record<string, string>; fields: string[] }[] = [
      { type: CredentialType.CREDENTIAL_TYPE_BASIC, secret: { username: PLANTED }, fields: ['secret.password'] },
      { type: CredentialType.CREDENTIAL_TYPE_API_KEY, secret: { value: `${PLANTED}\n` }, fields: ['secret.value'] },
      { type: CredentialType.CREDENTIAL_TYPE_API_KEY, secret: { key: PLANTED }, fields: ['secret.value', 'secret.key'] },
      { type: CredentialType.CREDENTIAL_TYPE_UNSPECIFIED, secret: { value: PLANTED }, fields: ['type'] },
      { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, secret: { client_id: 'id', client_secret: PLANTED.repeat(800) }, fields: ['secret'] },
    ];
    for (const c of cases) {
      const r = await refusal(org.putCredential('bad-one', c.type, c.secret));
      seen.push(JSON.stringify(r));
      expect(r.code, JSON.stringify(c.fields)).toBe(status.INVALID_ARGUMENT);
      expect(r.fields.map((f) => f.field)).toEqual(c.fields);
      expect(JSON.stringify(r)).not.toContain(PLANTED);
    }
    const badId = await refusal(org.putCredential('../etc', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: PLANTED }));
    seen.push(JSON.stringify(badId));
    expect(badId.fields.map((f) => f.field)).toEqual(['credential_id']);
    expect((await org.listCredentials()).map((c) => c.credentialId)).toEqual(['pms-key', 'short-key']);
  });

  it('credential set reads the secret from stdin and never prints it', async () => {
    const org = `org-put-${stack.id}`;
    const base = ['--registry', `127.0.0.1:${stack.registry.port}`, '--org', org];
    const stored = await runCli([...base, 'credential', 'set', 'cli-key', '--type', 'api_key'], { stdin: `${CLI_SECRET}\n` });
    seen.push(stored.stdout, stored.stderr);
    expect(stored.code).toBe(0);
    expect(stored.stdout).toMatch(new RegExp(`^stored cli-key \\(CREDENTIAL_TYPE_API_KEY, ••••${CLI_SECRET.slice(-4)}, key k1\\)\\n$`));
    const malformed = await runCli([...base, 'credential', 'set', 'cli-basic', '--type', 'basic'], { stdin: `{"username": ${CLI_SECRET}` });
    seen.push(malformed.stdout, malformed.stderr);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('JSON object of its fields');
    const list = await runCli([...base, 'credential', 'list']);
    seen.push(list.stdout, list.stderr);
    expect(list.stdout).toContain('cli-key');
  });

  it('a sealed secret copied to another org or id does not open: the executor answers AUTH_FAILED', async () => {
    keysAccepted.add(OTHER_ORG_SECRET);
    const a = stack.client(`org-a-${stack.id}`);
    const b = stack.client(`org-b-${stack.id}`);
    await b.putCredential('shared-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: OTHER_ORG_SECRET });
    await b.create(lookupDefinition('look_up', upstream.url, 'shared-key'));
    await a.create(lookupDefinition('look_up', upstream.url, 'shared-key'));
    await invokeUntil(b.orgId, 'look_up', Outcome.OUTCOME_SUCCESS);
    const before = await invokeUntil(a.orgId, 'look_up', Outcome.OUTCOME_AUTH_FAILED);
    expect(before.detail).toContain('is not set');

    const original = await kv.get(`${b.orgId}.shared-key`);
    const record = original!.json<Record<string, unknown>>();
    // As copied byte for byte, and as an attacker would edit it to look like A's.
    await kv.put(`${a.orgId}.shared-key`, original!.string());
    await kv.put(`${b.orgId}.copied-key`, JSON.stringify({ ...record, credentialId: 'copied-key' }));
    const requestsBefore = upstream.requests.length;
    const copied = await waitFor(async () => {
      const r = await invoke(a.orgId, 'look_up');
      return r.detail.includes('cannot be decrypted') ? r : undefined;
    }, 'the executor to see the copied credential');
    expect(copied.outcome).toBe(Outcome.OUTCOME_AUTH_FAILED);

    await kv.put(`${a.orgId}.shared-key`, JSON.stringify({ ...record, orgId: a.orgId }));
    await waitFor(async () => ((await kv.get(`${a.orgId}.shared-key`))!.string().includes(a.orgId) ? true : undefined), 'the edited copy');
    expect((await invoke(a.orgId, 'look_up')).outcome).toBe(Outcome.OUTCOME_AUTH_FAILED);
    await b.update({ ...lookupDefinition('look_up', upstream.url, 'copied-key') }, (await b.get('look_up')).revision);
    const otherId = await waitFor(async () => {
      const r = await invoke(b.orgId, 'look_up');
      return r.detail.includes('copied-key') ? r : undefined;
    }, 'org B to use the copied id');
    expect(otherId.outcome).toBe(Outcome.OUTCOME_AUTH_FAILED);
    // No request left with the secret on behalf of A or of the copied id.
    expect(upstream.requests.length).toBe(requestsBefore);

    // The registry lists the copy as A's (by where it is stored), never as B's.
    const listedA = await a.listCredentials();
    expect(listedA.map((c) => [c.orgId, c.credentialId])).toEqual([[a.orgId, 'shared-key']]);
    seen.push(JSON.stringify(listedA));

    await kv.purge(`${a.orgId}.shared-key`);
    await kv.purge(`${b.orgId}.copied-key`);
  });

  it('rotation: old ciphertext still opens with a larger ring, rotate-keys re-seals under the newest key, and the secret still authenticates', async () => {
    keysAccepted.add(ROTATED_SECRET);
    const org = stack.client(`org-rot-${stack.id}`);
    await org.putCredential('rot-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: ROTATED_SECRET });
    await org.create(lookupDefinition('look_up', upstream.url, 'rot-key'));
    await invokeUntil(org.orgId, 'look_up', Outcome.OUTCOME_SUCCESS);

    await stack.restart('registry', { SWITCHBOARD_MASTER_KEYS: `${K1},${K2}` });
    await stack.restart('executor', { SWITCHBOARD_MASTER_KEYS: `${K1},${K2}` });
    const fresh = stack.client(org.orgId);
    // Old data is still readable with k1 in the ring; new writes use k2.
    const beforeRotation = await invokeUntil(org.orgId, 'look_up', Outcome.OUTCOME_SUCCESS);
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe(ROTATED_SECRET);
    seen.push(JSON.stringify(beforeRotation));
    expect((await fresh.listCredentials()).map((c) => c.keyId)).toEqual(['k1']);
    const newer = await fresh.putCredential('newer-key', CredentialType.CREDENTIAL_TYPE_BEARER, { token: 'token-under-k2-abcdef' });
    expect(newer.keyId).toBe('k2');

    // One record that opens with no key of the ring must not stop the others from rotating.
    const rotRaw = (await kv.get(`${org.orgId}.rot-key`))!.string();
    await kv.put(`${org.orgId}.tampered-key`, rotRaw);

    const rotation = await rotateKeys(stack.envOf('registry'));
    seen.push(rotation.stdout, rotation.stderr);
    expect(rotation.stdout).toMatch(/^re-encrypted \d+ of \d+ credentials under key k2\n$/);
    expect(rotation.stderr).toBe(`credential tampered-key of org ${org.orgId} does not open with any key in the ring; left unchanged\n`);
    expect(rotation.code).toBe(1);

    const stored = (await kv.get(`${org.orgId}.rot-key`))!.json<{ keyId: string; sealed: string }>();
    expect(stored.keyId).toBe('k2');
    expect(stored.sealed).toMatch(/^v1\.k2\./);
    const listed = await fresh.listCredentials();
    expect(Object.fromEntries(listed.map((c) => [c.credentialId, c.keyId]))).toEqual({ 'rot-key': 'k2', 'newer-key': 'k2', 'tampered-key': 'k1' });

    await fresh.deleteCredential('tampered-key');
    const again = await rotateKeys(stack.envOf('registry'));
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/^re-encrypted 0 of \d+ credentials under key k2\n$/);

    // The running executor follows the re-sealed record; one with only k2 reads it too.
    const requests = upstream.requests.length;
    expect((await invoke(org.orgId, 'look_up')).outcome).toBe(Outcome.OUTCOME_SUCCESS);
    await stack.restart('executor', { SWITCHBOARD_MASTER_KEYS: K2 });
    const afterRotation = await invokeUntil(org.orgId, 'look_up', Outcome.OUTCOME_SUCCESS);
    expect(afterRotation.resultJson).toBe('{"time":"09:30"}');
    expect(upstream.requests.length).toBeGreaterThan(requests);
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe(ROTATED_SECRET);
  });

  it('no secret appears in any response, error, command output or service log', () => {
    const everything = [...seen, stack.allOutput()].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of ALL_SECRETS) expect(everything).not.toContain(secret);
    // The search would have found one: the registry logged that credentials were stored, by id only.
    expect(stack.allOutput()).toContain('credential stored');
  });
});
