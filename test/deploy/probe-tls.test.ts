import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.js';
import { removeNatsState, ROOT, startStack, type Stack } from '../support/stack.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

/** The image's HEALTHCHECK command, run with a container's environment. */
function probe(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'packages', 'grpc-kit', 'dist', 'probe.js')], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

/**
 * Issue 20 item 6: SECURITY.md recommends gRPC over TLS; the container probe must still pass. It asks
 * /readyz on the operations port, which says what gRPC health says without speaking gRPC.
 */
describe('container probe with gRPC over TLS', () => {
  let certs: TestCerts;
  let stack: Stack;
  const ports: Record<string, string> = {};

  beforeAll(async () => {
    certs = makeTestCerts();
    ports['REGISTRY_HTTP_PORT'] = String(await freePort());
    ports['EXECUTOR_HTTP_PORT'] = String(await freePort());
    stack = await startStack({
      withLogger: false,
      env: {
        GRPC_TLS_CERT_FILE: certs.serverCert,
        GRPC_TLS_KEY_FILE: certs.serverKey,
        SERVICE_TOKEN: randomBytes(24).toString('hex'),
        ...ports,
      },
    });
  });

  afterAll(async () => {
    await stack?.stop().catch(async () => removeNatsState(stack.env));
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  for (const service of ['registry', 'executor'] as const) {
    it(`${service}: healthy while it serves TLS, unhealthy once it is gone`, async () => {
      const svc = service === 'registry' ? stack.registry : stack.executor;
      const env = { ...stack.envOf(service), SERVICE: service, [service === 'registry' ? 'REGISTRY_PORT' : 'EXECUTOR_PORT']: String(svc.port) };
      const healthy = probe(env);
      expect(healthy.status, healthy.stderr).toBe(0);
      await svc.stop();
      expect(probe(env).status).toBe(1);
    });
  }
});
