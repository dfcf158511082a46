import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.js';
import { ROOT, removeNatsState, startService, uniqueId, NATS_URL, REDIS_URL } from '../support/stack.js';
import { randomBytes } from 'node:crypto';
import { connectNats, CredentialStore, IntegrationStore } from '@switchboard/store';

const SERVICES = ['registry', 'executor', 'audit-logger', 'console', 'mcp-gateway'] as const;
const PNPM = ['-y', 'pnpm@10.34.9'];

/**
 * The image's content without a Docker engine: the same `pnpm deploy --prod` step the Dockerfile runs,
 * into a temporary folder, then each service started from that folder alone.
 */
describe('container image content', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'sb-image-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('the Dockerfile builds with the pinned pnpm and deploys production dependencies only, as non-root', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('npx -y pnpm@10.34.9 install --frozen-lockfile');
    expect(dockerfile).toContain('deploy --prod --legacy /out');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { packageManager: string };
    expect(pkg.packageManager).toBe('pnpm@10.34.9');
  });

  for (const service of SERVICES) {
    it(`${service} starts from its deployed folder and reports healthy`, async () => {
      const dir = path.join(out, service);
      execFileSync('npx', [...PNPM, '--filter', `@switchboard/${service}`, 'deploy', '--prod', '--legacy', dir], {
        cwd: ROOT,
        stdio: 'pipe',
        env: { ...process.env, CI: 'true' },
      });
      expect(existsSync(path.join(dir, 'dist', 'main.js'))).toBe(true);
      expect(existsSync(path.join(dir, 'src'))).toBe(false);
      for (const dev of ['typescript', 'vitest', 'ts-proto', '@bufbuild/buf']) {
        expect(existsSync(path.join(dir, 'node_modules', dev)), `${dev} is not shipped`).toBe(false);
      }
      const id = uniqueId();
      // Free ports asked of the OS: a random pick can collide with a port another process holds.
      const port = async () => String(await freePort());
      const httpPort = await port();
      const env = {
        NATS_URL,
        REDIS_URL,
        SWITCHBOARD_MASTER_KEYS: `img:${randomBytes(32).toString('base64')}`,
        INTEGRATIONS_BUCKET: `t_${id}_integrations`,
        CREDENTIALS_BUCKET: `t_${id}_credentials`,
        AUDIT_STREAM: `T_${id}_AUDIT`,
        AUDIT_SUBJECT_PREFIX: `t${id}.audit`,
        AUDIT_CONSUMER: `t_${id}_logger`,
        AUDIT_DIR: path.join(out, `${service}-audit`),
        AUDIT_SPOOL_DIR: path.join(out, `${service}-audit-spool`),
        AUDIT_HTTP_PORT: httpPort,
        REGISTRY_PORT: await port(),
        EXECUTOR_PORT: await port(),
        CONSOLE_PORT: await port(),
        MCP_PORT: await port(),
        ORG_TOKENS_BUCKET: `t_${id}_org_tokens`,
        CONSOLE_SESSIONS_BUCKET: `t_${id}_console_sessions`,
        DELIVERY_STREAM: `T_${id}_DELIVERIES`,
        DELIVERY_SUBJECT_PREFIX: `t${id}.delivery`,
        DELIVERY_DEAD_LETTER_BUCKET: `t_${id}_dead_letters`,
        DELIVERY_QUEUE_MAX_BYTES: String(16 * 1024 * 1024),
        DELIVERY_DEAD_LETTER_MAX_BYTES: String(16 * 1024 * 1024),
        AUDIT_MAX_BYTES: String(64 * 1024 * 1024),
        SERVICE: service,
      };
      if (service === 'executor') {
        // The executor only binds to the registry's buckets (it never creates them): create them as the registry would.
        const nc = await connectNats({ url: NATS_URL, name: 'image-content' });
        await IntegrationStore.open(nc, { bucket: env.INTEGRATIONS_BUCKET });
        await CredentialStore.open(nc, { bucket: env.CREDENTIALS_BUCKET });
        await nc.close();
      }
      const proc = await startService(service, env, path.join(dir, 'dist', 'main.js'));
      try {
        const probe = spawnSync(process.execPath, [path.join(dir, 'node_modules', '@switchboard', 'grpc-kit', 'dist', 'probe.js')], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
          timeout: 10_000,
        });
        expect(probe.status, probe.stderr).toBe(0);
      } finally {
        await proc.stop();
        await removeNatsState(env);
      }
      const stopped = spawnSync(process.execPath, [path.join(dir, 'node_modules', '@switchboard', 'grpc-kit', 'dist', 'probe.js')], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(stopped.status, 'the probe fails once the service is gone').toBe(1);
    });
  }
});
