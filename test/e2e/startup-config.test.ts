import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/stack.js';

function start(service: string, env: Record<string, string | undefined>) {
  const clean = { ...process.env };
  delete clean['SWITCHBOARD_MASTER_KEYS'];
  delete clean['SWITCHBOARD_MASTER_KEYS_FILE'];
  const r = spawnSync(process.execPath, [path.join(ROOT, 'services', service, 'dist', 'main.js')], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stderr: r.stderr.trim() };
}

const KEYS = `k1:${randomBytes(32).toString('base64')}`;

describe('bad configuration at start-up fails with one clear sentence', () => {
  for (const service of ['registry', 'executor']) {
    it(`${service} without a master key`, () => {
      const r = start(service, {});
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/SWITCHBOARD_MASTER_KEYS/);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    });

    it(`${service} with NATS unreachable`, () => {
      const r = start(service, { SWITCHBOARD_MASTER_KEYS: KEYS, NATS_URL: 'nats://127.0.0.1:1', NATS_STARTUP_TIMEOUT_MS: '1000' });
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/cannot reach NATS at nats:\/\/127\.0\.0\.1:1 \(connection refused; tried for 1 s/);
    });
  }

  it('a malformed master key names the problem without echoing the key', () => {
    const r = start('registry', { SWITCHBOARD_MASTER_KEYS: 'k1:dG9vLXNob3J0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/32 bytes/);
    expect(r.stderr).not.toContain('dG9vLXNob3J0');
  });

  it('a working-set budget below its minimum is named with the minimum', () => {
    const r = start('executor', { SWITCHBOARD_MASTER_KEYS: KEYS, WORKING_SET_MAX_BYTES: '1000' });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/WORKING_SET_MAX_BYTES.*at least 1 MiB/);
  });

  it('an invalid port is named', () => {
    const r = start('registry', { SWITCHBOARD_MASTER_KEYS: KEYS, REGISTRY_PORT: 'eighty' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/REGISTRY_PORT is invalid/);
  });

  it('a malformed list of orgs trusting the runtime\'s verification, or a call-state bound out of range, is named', () => {
    const orgs = start('executor', { SWITCHBOARD_MASTER_KEYS: KEYS, RUNTIME_VERIFICATION_ORGS: 'org-1,not an org' });
    expect(orgs.code).toBe(1);
    expect(orgs.stderr).toMatch(/RUNTIME_VERIFICATION_ORGS/);
    const bytes = start('executor', { SWITCHBOARD_MASTER_KEYS: KEYS, CALL_STATE_MAX_BYTES: '10' });
    expect(bytes.code).toBe(1);
    expect(bytes.stderr).toMatch(/CALL_STATE_MAX_BYTES/);
  });
});
