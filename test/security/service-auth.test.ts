import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { RegistryClient } from '@switchboard/client';
import { NATS_URL, removeNatsState, startService, uniqueId, type ServiceProcess } from '../support/stack.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

const TOKEN = `svc-${randomBytes(16).toString('hex')}`;

function baseEnv(): Record<string, string> {
  const id = uniqueId();
  return {
    NATS_URL,
    SWITCHBOARD_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    INTEGRATIONS_BUCKET: `t_${id}_integrations`,
    CREDENTIALS_BUCKET: `t_${id}_credentials`,
    REGISTRY_PORT: '0',
  };
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return status.OK;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('service authentication', () => {
  let certs: TestCerts;
  const started: { proc: ServiceProcess; env: Record<string, string> }[] = [];
  const start = async (extra: Record<string, string>) => {
    const env = { ...baseEnv(), ...extra };
    const proc = await startService('registry', env);
    started.push({ proc, env });
    return proc;
  };

  beforeAll(() => {
    certs = makeTestCerts();
  });

  afterAll(async () => {
    for (const s of started) {
      await s.proc.stop();
      await removeNatsState(s.env);
    }
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('plaintext is announced with a warning at start-up', async () => {
    const proc = await start({});
    expect(proc.output()).toMatch(/plaintext/);
  });

  it('a service token is required on every call when configured', async () => {
    const proc = await start({ SERVICE_TOKEN: TOKEN });
    const address = `127.0.0.1:${proc.port}`;
    const anonymous = new RegistryClient({ address }, 'org-a');
    const wrong = new RegistryClient({ address, serviceToken: `${TOKEN}x` }, 'org-a');
    const right = new RegistryClient({ address, serviceToken: TOKEN }, 'org-a');
    try {
      expect(await codeOf(anonymous.list())).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(wrong.list())).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(right.list())).toBe(status.OK);
    } finally {
      for (const c of [anonymous, wrong, right]) c.close();
    }
    expect(proc.output()).not.toContain(TOKEN);
  });

  it('serves TLS: a client trusting the CA connects, a plaintext client does not', async () => {
    const proc = await start({ GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey });
    expect(proc.output()).not.toMatch(/plaintext/);
    const address = `127.0.0.1:${proc.port}`;
    const tls = new RegistryClient({ address, caFile: certs.caCert }, 'org-a');
    const plain = new RegistryClient({ address }, 'org-a');
    try {
      expect(await codeOf(tls.list())).toBe(status.OK);
      expect(await codeOf(plain.list())).toBe(status.UNAVAILABLE);
    } finally {
      tls.close();
      plain.close();
    }
  });

  it('mutual TLS: a client without a certificate signed by the client CA is refused', async () => {
    const proc = await start({ GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey, GRPC_TLS_CLIENT_CA_FILE: certs.caCert });
    const address = `127.0.0.1:${proc.port}`;
    const withCert = new RegistryClient({ address, caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey }, 'org-a');
    const withoutCert = new RegistryClient({ address, caFile: certs.caCert }, 'org-a');
    try {
      expect(await codeOf(withCert.list())).toBe(status.OK);
      expect(await codeOf(withoutCert.list())).toBe(status.UNAVAILABLE);
    } finally {
      withCert.close();
      withoutCert.close();
    }
  });
});
