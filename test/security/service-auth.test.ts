import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { RegistryClient, ServiceClients } from '@switchboard/client';
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
    ORG_TOKENS_BUCKET: `t_${id}_org_tokens`,
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
    // No console has created the org-token bucket here: an org token is unknown, not an internal error.
    const orgToken = new RegistryClient({ address, serviceToken: `sbt_${randomBytes(32).toString('base64url')}` }, 'org-a');
    try {
      expect(await codeOf(anonymous.list())).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(wrong.list())).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(orgToken.list())).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(right.list())).toBe(status.OK);
    } finally {
      for (const c of [anonymous, wrong, right, orgToken]) c.close();
    }
    expect(proc.output()).not.toContain(TOKEN);
  });

  it("a service identity's one Secret can hold the new and the old token while it rotates: the servers accept both, callers send the first", async () => {
    const [next, previous] = [`new-${TOKEN}`, `old-${TOKEN}`];
    const proc = await start({ SERVICE_IDENTITIES: 'console:*', SERVICE_TOKEN_CONSOLE: `${next},${previous}` });
    const clientsWith = (token: string) =>
      ServiceClients.fromEnv({ REGISTRY_ADDRESS: `127.0.0.1:${proc.port}`, EXECUTOR_ADDRESS: `127.0.0.1:${proc.port}`, SERVICE_TOKEN: token });
    const all = [clientsWith(`${previous},${next}`), clientsWith(`${next},${previous}`), clientsWith(next), clientsWith(`x${previous}`)];
    try {
      const codes = await Promise.all(all.map((c) => codeOf(c.registryFor('org-a').list())));
      expect(codes).toEqual([status.OK, status.OK, status.OK, status.UNAUTHENTICATED]);
    } finally {
      for (const c of all) c.close();
    }
  });

  it('TLS that authenticates no caller refuses to start and says why, unless accepted explicitly', async () => {
    for (const service of ['registry', 'executor'] as const) {
      const env = { ...baseEnv(), EXECUTOR_PORT: '0', GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey };
      const failure = await startService(service, env).then(
        async (proc) => {
          await proc.stop();
          return 'started';
        },
        (err: Error) => err.message,
      );
      await removeNatsState(env);
      expect(failure, service).toMatch(/exited \(1\)/);
      expect(failure, service).toMatch(/TLS is on but no caller is authenticated.*SERVICE_IDENTITIES.*GRPC_ALLOW_UNAUTHENTICATED=true/);
    }
    const accepted = await start({ GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey, GRPC_ALLOW_UNAUTHENTICATED: 'true' });
    expect(accepted.output()).toMatch(/callers are not authenticated/);
  });

  it('a service identity with a method the server does not have stops start-up with a sentence naming it', async () => {
    const failure = await start({ SERVICE_IDENTITIES: 'runtime:Invoke', SERVICE_TOKEN_RUNTIME: TOKEN }).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/identity "runtime" names method "Invoke", which this service does not have/);
    expect(failure).not.toContain(TOKEN);
  });

  it('mutual TLS with service identities: the client certificate CN names the identity and its allow-list', async () => {
    // test-certs.ts issues the client certificate to CN=call-runtime.
    const proc = await start({
      GRPC_TLS_CERT_FILE: certs.serverCert,
      GRPC_TLS_KEY_FILE: certs.serverKey,
      GRPC_TLS_CLIENT_CA_FILE: certs.caCert,
      SERVICE_IDENTITIES: 'call-runtime:ListTools',
    });
    const client = new RegistryClient({ address: `127.0.0.1:${proc.port}`, caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey }, 'org-a');
    try {
      expect(await codeOf(client.tools())).toBe(status.OK);
      expect(await codeOf(client.list())).toBe(status.PERMISSION_DENIED);
    } finally {
      client.close();
    }
  });

  it('serves TLS: a client trusting the CA connects, a plaintext client does not', async () => {
    const proc = await start({ GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey, SERVICE_TOKEN: TOKEN });
    expect(proc.output()).not.toMatch(/plaintext/);
    const address = `127.0.0.1:${proc.port}`;
    const tls = new RegistryClient({ address, caFile: certs.caCert, serviceToken: TOKEN }, 'org-a');
    const plain = new RegistryClient({ address, serviceToken: TOKEN }, 'org-a');
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
